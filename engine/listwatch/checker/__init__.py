"""The checker: judges a recorded run of any implementation against the spec's observable
projection.

Modules: `run` (the Checker, the Report, the `listwatch check` command; its docstring is the
contract), `lifecycle` (one pod followed through its states and Events), `projection` (the rules,
read from the spec), `podfacts` (what a pod object shows), `verdicts` (violations and verdicts),
`scenario` (a violation written back as a Gherkin scenario).
"""

from listwatch.checker.run import (
    Checker,
    PodVerdict,
    Report,
    Violation,
    add_arguments,
    check_records,
    check_trace,
    command,
)

__all__ = [
    "Checker",
    "PodVerdict",
    "Report",
    "Violation",
    "add_arguments",
    "check_records",
    "check_trace",
    "command",
]
