"""Exceptions the CLI turns into one-line messages."""


class ZooError(Exception):
    """Base class for errors a user can fix from the message alone."""


class UnknownModelError(ZooError, KeyError):
    """No registry entry has this name. A KeyError, so `except KeyError` works."""

    def __str__(self):  # KeyError would repr() the message, adding quotes
        return str(self.args[0]) if self.args else ""


class WeightsIntegrityError(ZooError):
    """A weights file's sha256 does not match its registry entry."""


class TrainingDivergedError(ZooError):
    """A loss became NaN or Inf; the last good checkpoint is left intact."""
