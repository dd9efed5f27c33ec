"""Drop links to solutions from a build that leaves the solutions out (`_toc_student.yml`).

Every exercise links its solution (`tools/notebook_cells.py` writes that link), and the landing page names one. A
term's site is built without the *Solutions* part, where those links would point at nothing: Sphinx would warn
and a student would find a dead link. This transform runs before the reference resolvers and removes the paragraph
(or the list item) holding a link to a `solutions/` page that is not part of this build. The full build keeps them.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import docname_join

SOLUTIONS = "solutions/"


def target_document(node: addnodes.pending_xref) -> str | None:
    """The document a Markdown link or a {doc} role points at, or None for other references."""
    if node.get("reftype") == "myst" and node.get("refdomain") == "doc":
        return node["reftarget"]
    if node.get("reftype") == "doc":
        return docname_join(node.get("refdoc", ""), node["reftarget"])
    return None


class DropAbsentSolutionLinks(SphinxPostTransform):
    """Remove the paragraph around each link to a solution page that this build does not have."""

    default_priority = 8  # before myst's resolver (9) and Sphinx's (10), which would warn

    def run(self, **kwargs: Any) -> None:
        """Find the links and drop what holds them."""
        for node in list(self.document.findall(addnodes.pending_xref)):
            target = target_document(node)
            if target is None or not target.startswith(SOLUTIONS) or target in self.env.all_docs:
                continue
            if not self._attached(node):
                continue  # its paragraph went with an earlier link
            holder: nodes.Node = node.parent
            while holder is not None and not isinstance(holder, nodes.paragraph):
                holder = holder.parent
            if holder is None:
                node.replace_self(node.children)
                continue
            item = holder.parent
            if isinstance(item, nodes.list_item) and len(item.children) == 1:
                holder = item
            parent = holder.parent
            parent.remove(holder)
            if isinstance(parent, nodes.bullet_list | nodes.enumerated_list) and not parent.children:
                parent.parent.remove(parent)

    def _attached(self, node: nodes.Node) -> bool:
        """Whether ``node`` is still part of the document."""
        while node.parent is not None:
            node = node.parent
        return node is self.document


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the transform."""
    app.add_post_transform(DropAbsentSolutionLinks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
