"""Errors that reach the user: each message names the offending value and the fix."""


class VadbenchError(Exception):
    """Base class of every error the CLI prints as one clear message instead of a traceback."""


class ConfigError(VadbenchError, ValueError):
    """A setting, option or config file that cannot be used as given."""


class UnknownComponentError(VadbenchError, KeyError):
    """A component name that no plugin registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class NameClashError(VadbenchError):
    """Two plugins registered the same component name."""


class DatasetError(VadbenchError):
    """A dataset root, file or ground truth that is missing or malformed."""


class StoreError(VadbenchError):
    """The results store cannot be opened or written."""


class DuplicateJobError(StoreError):
    """A done job with the same evaluation key is already stored (another process finished it first)."""


class EvaluationError(VadbenchError, ValueError):
    """Scores, labels or window errors that cannot be evaluated as given (wrong shape, non-finite, mismatched)."""
