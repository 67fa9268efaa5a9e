"""What the form takes as text: every character but those that act on a terminal or a YAML parser
rather than stand for themselves."""

from __future__ import annotations

import re

NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
"""Control characters (but tab and line ends; C1's NEL among them), the line and paragraph
separators, the noncharacters U+FFFE and U+FFFF and halves of surrogate pairs: never part of a
value. YAML reads NEL and the separators as line breaks, so a value holding one would come back
from the file as another value, and refuses the noncharacters in a block of text."""

NOT_TEXT_PROBLEM = (
    "holds a control character, a line or paragraph separator, a noncharacter or half of a surrogate pair, which "
    "no value may: remove it"
)
