"""Text Dockyard puts into a container's variables, command and arguments reaches the process
unchanged: Kubernetes' own expansion (ported here from its third_party/forked/golang/expansion
rules: `$$` is one `$`, `$(NAME)` a variable, anything else as written) gives back exactly the
Score text, whatever `$`, `(` and `)` it holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dockyard.render.workload import kubernetes_literal


def kubernetes_expand(text: str) -> str:
    """Kubernetes' expansion with no variables defined (a reference stays as `<NAME>` to be seen)."""
    out, cursor = [], 0
    while cursor < len(text):
        if text[cursor] == "$" and cursor + 1 < len(text):
            following = text[cursor + 1]
            if following == "$":
                out.append("$")
                cursor += 2
                continue
            if following == "(":
                closer = text.find(")", cursor + 2)
                if closer >= 0:
                    out.append(f"<{text[cursor + 2 : closer]}>")
                    cursor = closer + 1
                    continue
                out.append("$(")
                cursor += 2
                continue
            out.append("$" + following)
            cursor += 2
            continue
        out.append(text[cursor])
        cursor += 1
    return "".join(out)


@given(st.text(alphabet="$()aX", max_size=30))
def test_kubernetes_reads_the_text_back_unchanged(text: str) -> None:
    assert kubernetes_expand(kubernetes_literal(text)) == text


def test_plain_dollars_stay_readable() -> None:
    assert kubernetes_literal("costs $5, pay by $DATE") == "costs $5, pay by $DATE"
    assert kubernetes_literal("$(SECRET) and $$") == "$$(SECRET) and $$$"
