"""Splits an interface file into tokens that remember where they started."""

import string
from dataclasses import dataclass

from .errors import IdlError

PUNCTUATION = set(";{}()[],*")
# ASCII only: names become C identifiers and pfipc export names, and pfipc
# accepts [A-Za-z0-9_].
IDENT_START = set(string.ascii_letters + "_")
IDENT_CHARS = IDENT_START | set(string.digits)


@dataclass(frozen=True)
class Token:
    kind: str   # 'ident', 'int', a punctuation character, or 'eof'
    text: str
    line: int
    col: int

    def describe(self):
        """How an error message names this token."""
        if self.kind == "eof":
            return "end of file"
        return f"'{self.text}'"


def tokenize(text, path):
    """All tokens of TEXT, ending with one 'eof' token."""
    tokens = []
    i, line, line_start = 0, 1, 0
    n = len(text)

    def here(at):
        return line, at - line_start + 1

    while i < n:
        c = text[i]
        if c == "\n":
            i += 1
            line, line_start = line + 1, i
        elif c in " \t\r\f\v":
            i += 1
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            start_line, start_col = here(i)
            end = text.find("*/", i + 2)
            if end < 0:
                raise IdlError(path, start_line, start_col,
                               "unterminated comment: expected '*/'")
            # Newlines inside the comment still move the line counter.
            for j in range(i, end):
                if text[j] == "\n":
                    line, line_start = line + 1, j + 1
            i = end + 2
        elif c in IDENT_START:
            j = i
            while j < n and text[j] in IDENT_CHARS:
                j += 1
            tokens.append(Token("ident", text[i:j], *here(i)))
            i = j
        elif c in string.digits:
            j = i
            while j < n and text[j] in IDENT_CHARS:
                j += 1
            tokens.append(Token("int", text[i:j], *here(i)))
            i = j
        elif c in PUNCTUATION:
            tokens.append(Token(c, c, *here(i)))
            i += 1
        else:
            raise IdlError(path, *here(i), f"unexpected character '{c}'")
    tokens.append(Token("eof", "", *here(i)))
    return tokens
