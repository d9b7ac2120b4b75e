"""Errors whose message is fit to show a user as it is (dialog in the GUI, one stderr line in the CLI)."""


class HwrError(Exception):
    """Base class: a problem with the user's input or files, not a bug."""


class DataError(HwrError):
    """A dataset file is missing, corrupt or not what it claims to be."""


class ImageError(HwrError):
    """An image file cannot be read or is unsafe to decode."""


class ModelFileError(HwrError):
    """A model file cannot be loaded, is unsafe, or does not fit the app."""


class StoreError(HwrError):
    """The personal sample store cannot do what was asked (unknown sample, bad label, bad import file)."""


class StoreCorruptError(StoreError):
    """The sample database file is damaged or not a sample store; back it up and start a fresh one."""
