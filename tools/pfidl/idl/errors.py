"""The one error pfidl reports: where in an interface file, and what."""


class IdlError(Exception):
    """A mistake in an interface file, at a 1-based line and column.

    Columns count characters (a tab is one column), as most editors' "go to
    column" do, so the message can be pasted straight into one.
    """

    def __init__(self, path, line, col, message):
        super().__init__(message)
        self.path = path
        self.line = line
        self.col = col
        self.message = message

    def __str__(self):
        return f"{self.path}:{self.line}:{self.col}: error: {self.message}"
