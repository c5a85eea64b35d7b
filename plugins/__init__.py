"""The built-in vadbench plugins, registered through the `vadbench` entry points like any third-party package."""
