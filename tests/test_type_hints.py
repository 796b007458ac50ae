"""Every public function carries type hints (STYLE.md: public names are typed),
and the hints resolve: ``typing.get_type_hints`` evaluates each of them, so a
misspelt or unimported name in an annotation fails here, not in a user's
type checker."""

import inspect
import typing

import numpy as np
import pytest

import ftrans.typing
from ftrans.tracing import Tracer
from ftrans.typing import Array, ArrayLike
from tests.test_docstrings import PUBLIC


def _functions():
    """Public functions, and the public methods of public classes, defined in
    ftrans (classes themselves are exempt)."""
    out = {}
    for name, obj in PUBLIC.items():
        if inspect.isfunction(obj):
            out[name] = obj
        elif inspect.isclass(obj) and obj.__module__.startswith("ftrans"):
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and inspect.isfunction(member):
                    out[f"{name}.{attr}"] = member
    return out


FUNCTIONS = _functions()


def _unannotated(fn) -> list[str]:
    sig = inspect.signature(fn)
    missing = [p.name for p in sig.parameters.values()
               if p.annotation is inspect.Parameter.empty and p.name != "self"
               and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if sig.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_public_function_is_annotated(name):
    fn = FUNCTIONS[name]
    missing = _unannotated(fn)
    assert not missing, f"{name} has no type hint for: {', '.join(missing)}"
    hints = typing.get_type_hints(fn)
    assert "return" in hints


def test_generated_ufuncs_have_real_signatures():
    # the factory-made functions in ftrans.numpy take named, hinted operands
    import ftrans.numpy as jnp
    assert list(inspect.signature(jnp.sin).parameters) == ["x"]
    assert list(inspect.signature(jnp.add).parameters) == ["x1", "x2"]
    assert typing.get_type_hints(jnp.add) == {"x1": ArrayLike, "x2": ArrayLike,
                                              "return": Array}
    with pytest.raises(TypeError):
        jnp.sin(1.0, 2.0)


def test_the_aliases_describe_values():
    import ftrans.numpy as jnp
    assert isinstance(jnp.sin(0.5), Array)
    seen = []
    ftrans.grad(lambda x: seen.append(isinstance(x, Array)) or x)(1.0)
    assert seen == [True]
    assert {np.ndarray, Tracer, float} <= set(typing.get_args(ArrayLike))
    assert set(ftrans.typing.__all__) >= {"Array", "ArrayLike", "DTypeLike"}


def test_the_enumeration_is_large():
    assert len(FUNCTIONS) > 350
