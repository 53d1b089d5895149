"""Package attributes imported on first use (PEP 562), so that importing a package stays light.

The ``gan-zoo`` parser imports packages to register their subcommands; those
packages must not import Keras or TensorFlow until a name that needs them is
used. A package lists each public name with the module it comes from and
installs the two module hooks:

    _LAZY = {"InfoGANGenerator": "zoo.families.infogan.generator"}
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY)

Examples:
>>> getattr_, dir_ = lazy_exports("demo", {"sqrt": "math"})
>>> getattr_("sqrt")(9.0), "sqrt" in dir_()
(3.0, True)
>>> getattr_("cube")
Traceback (most recent call last):
...
AttributeError: module 'demo' has no attribute 'cube'
"""

from __future__ import annotations

import importlib
import sys
from typing import Callable


def lazy_exports(package: str, names: dict[str, str], on_load: Callable[[], None] | None = None):
    """The ``(__getattr__, __dir__)`` pair of ``package`` for ``names`` (public name -> module).

    A loaded name is stored in the package's namespace, so later lookups do not
    come back here. ``on_load`` runs after each load (``zoo`` registers its
    serializable classes then).
    """

    def __getattr__(name: str):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(names[name]), name)
        module = sys.modules.get(package)
        if module is not None:
            setattr(module, name, value)
        if on_load is not None:
            on_load()
        return value

    def __dir__() -> list[str]:
        module = sys.modules.get(package)
        return sorted(set(vars(module) if module is not None else ()) | set(names))

    return __getattr__, __dir__
