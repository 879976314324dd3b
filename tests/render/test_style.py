"""One colour per component, the same in every picture; red and grey kept for runs."""

from __future__ import annotations

from pathlib import Path

from listwatch.engine import Engine
from listwatch.render import catalogue, machines, style
from tests.dot_text import nodes
from tests.spec_copies import changed_spec


def test_every_component_of_the_spec_has_a_colour_of_its_own(engine: Engine) -> None:
    pal = style.palette(engine.spec)
    assert set(pal.components) == set(engine.spec.flow.actors) | set(engine.spec.components)
    lines = [pal.of(c).line for c in pal.components]
    assert len(set(lines)) == len(lines)
    assert (
        style.VIOLATION not in lines
        and style.UNSEEN.line not in lines
        and style.NEUTRAL.line not in lines
    )


def test_a_component_the_palette_was_not_told_of_is_neutral() -> None:
    assert style.Palette(["apiserver"]).of("cloud-controller-manager") == style.NEUTRAL


def test_a_new_actor_takes_a_spare_colour_and_the_known_components_keep_theirs(
    tmp_path: Path,
) -> None:
    spec = changed_spec(
        tmp_path, "flow.yaml", lambda doc: doc["actors"].append("cloud-controller-manager")
    )
    pal = style.palette(spec)
    assert pal.of("cloud-controller-manager") == style.SPARE[0]
    for name, shade in style.KNOWN.items():
        assert pal.of(name) == shade


def _component_of(spec_name: str, node: str, engine: Engine) -> str | None:
    """Which component a node of a picture stands for, if any."""
    if node in engine.spec.flow.actors:
        return node
    if spec_name == "scheduling" and node in engine.spec.flow.step_ids:
        return engine.spec.flow.step(node).sources[0]
    if spec_name.startswith("machine-"):
        machine = engine.spec.machine(spec_name.removeprefix("machine-"))
        if node in machine.state_names:
            return machines.runner(engine.spec, machine) or None
    return None


def test_every_component_has_the_same_colour_in_every_picture(engine: Engine) -> None:
    pal = style.palette(engine.spec)
    seen: dict[str, set[tuple[str, str]]] = {}
    for name, source in catalogue.sources(engine.spec).items():
        for node_name, node in nodes(source).items():
            component = _component_of(name, node_name, engine)
            if component is not None and "fillcolor" in node.attrs:
                seen.setdefault(component, set()).add(
                    (node.attrs["color"], node.attrs["fillcolor"])
                )
    assert set(seen) == set(engine.spec.components) | {"kubectl"}
    for component, colours in seen.items():
        assert colours == {(pal.of(component).line, pal.of(component).fill)}, component


def test_the_legend_shows_every_component_in_its_colour(engine: Engine) -> None:
    pal = style.palette(engine.spec)
    legend = catalogue.sources(engine.spec)["legend"]
    for component in pal.components:
        shade = pal.of(component)
        assert f'bgcolor="{shade.fill}" color="{shade.line}"' in legend
        assert f"<b>{component}</b>" in legend
    assert style.VIOLATION in legend and style.UNSEEN.line in legend
