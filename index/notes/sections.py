"""A note as a tree of sections: each heading owns the blocks up to its first sub-heading, and
its sub-sections up to the next heading of its level or above."""

from __future__ import annotations

from dataclasses import dataclass, field

from .markdown import Block


@dataclass
class Section:
    """A heading's section (the root has no heading); lines are 0-based, `end` exclusive."""

    heading: Block | None
    start: int
    end: int
    blocks: list[Block] = field(default_factory=list)     # own blocks, before any child
    children: list[Section] = field(default_factory=list)

    @property
    def level(self) -> int:
        return self.heading.level if self.heading is not None else 0

    @property
    def title(self) -> str:
        """The heading's plain text, on one line."""
        if self.heading is None or self.heading.inline is None:
            return ""
        return " ".join(self.heading.inline.text.split())

    @property
    def body_start(self) -> int:
        """First line after the heading."""
        return self.heading.end if self.heading is not None else self.start

    @property
    def own_end(self) -> int:
        """End of the section's own text: where its first sub-section starts."""
        return self.children[0].start if self.children else self.end

    def descendants(self) -> list[Section]:
        out = []
        for child in self.children:
            out.append(child)
            out.extend(child.descendants())
        return out


def section_tree(blocks: list[Block], n_lines: int) -> Section:
    """Sections nested by heading level; a deeper heading belongs to the nearest one above."""
    root = Section(None, 0, n_lines)
    stack = [root]
    for block in blocks:
        if block.kind == "heading":
            while stack[-1] is not root and stack[-1].level >= block.level:
                stack.pop().end = block.start
            section = Section(block, block.start, n_lines)
            stack[-1].children.append(section)
            stack.append(section)
        else:       # the open section on top never has children yet: these are its own
            stack[-1].blocks.append(block)
    return root
