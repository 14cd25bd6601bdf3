"""Errors a user can act on. The CLI prints their message, never a traceback."""


class UserError(Exception):
    """Bad input, missing data or a refused operation; the message names the file, row or field."""
