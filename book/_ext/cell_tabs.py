"""Put executed notebook cells side by side in sphinx-design tab sets.

MyST notebooks cannot nest a ``{code-cell}`` inside a ``{tab-item}`` (jupytext splits cells at the top level
only), yet the course shows legacy and migrated code as tabs. This extension groups them after parsing:

* a code cell with the metadata ``tab: <label>`` becomes a tab, output included;
* a ``{legacy-code} <label>`` block (code that no longer runs on the pinned stack) becomes a tab too;
* consecutive tabs form one tab set. Prose between them starts a new set.
"""

from __future__ import annotations

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx_design.shared import create_component

LOGGER = logging.getLogger(__name__)


class LegacyCodeDirective(SphinxDirective):
    """A labelled code block that is shown, never executed, with the reason it no longer runs."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec = {"why": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        """Build a container holding the reason and the code."""
        label = self.arguments[0]
        container = nodes.container(classes=["legacy-code"], tab_label=label)
        reason = self.options.get("why", "")
        note = nodes.paragraph(classes=["legacy-code-reason"])
        note += nodes.strong(text="Shown, not run: ")
        note += nodes.Text(reason or "this code needs packages or services the course does not install.")
        code = "\n".join(self.content)
        block = nodes.literal_block(code, code, language="python", classes=["legacy-code-block"])
        self.set_source_info(block)
        container += [note, block]
        self.set_source_info(container)
        return [container]


def tab_label(node: nodes.Node) -> str | None:
    """The tab label a node asks for, or None when it is not a tab."""
    if not isinstance(node, nodes.container):
        return None
    if node.get("nb_element") == "cell_code":
        label = node.get("cell_metadata", {}).get("tab")
        return str(label) if label else None
    return node.get("tab_label")


def make_tab_set(run: list[nodes.Element]) -> nodes.Element:
    """Wrap each node of ``run`` in a tab item of a new sphinx-design tab set."""
    tab_set = create_component("tab-set", classes=["sd-tab-set", "before-after"])
    for node in run:
        text = tab_label(node) or ""
        label = nodes.rubric(text, nodes.Text(text), classes=["sd-tab-label"])
        content = create_component("tab-content", children=[node], classes=["sd-tab-content"])
        tab_set += create_component("tab-item", children=[label, content], classes=["sd-tab-item"])
    tab_set.source, tab_set.line = run[0].source, run[0].line
    return tab_set


class GroupCellTabs(SphinxTransform):
    """Replace each run of consecutive tab nodes by one tab set."""

    default_priority = 500

    def apply(self, **kwargs: object) -> None:
        """Group the tabs of every element in the document."""
        parents = {id(n.parent): n.parent for n in self.document.findall(nodes.container) if tab_label(n)}
        for parent in parents.values():
            children: list[nodes.Node] = []
            run: list[nodes.Element] = []
            for child in [*parent.children, None]:
                if child is not None and tab_label(child):
                    run.append(child)
                    continue
                if run:
                    if len(run) == 1:
                        LOGGER.warning("a tab set with a single tab (%r)", tab_label(run[0]), location=run[0])
                    children.append(make_tab_set(run))
                    run = []
                if child is not None:
                    children.append(child)
            parent.children = []
            parent.extend(children)


def setup(app: Sphinx) -> dict[str, object]:
    """Register the directive and the transform."""
    app.add_directive("legacy-code", LegacyCodeDirective)
    app.add_transform(GroupCellTabs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
