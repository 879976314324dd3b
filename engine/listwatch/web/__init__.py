"""The web view: a page that shows the flow as it happens, the pods, each pod's timeline and why
the scheduler chose its node.

`journal` keeps what the page shows, fed by a run's trace records; `uiserver` serves the page and
its live updates (`listwatch serve`, `listwatch view`); `page` writes it as one self-contained file
(`listwatch run --html`).
"""
