"""Complex numbers under every transformation, with JAX's conventions.

The expected numbers were printed by JAX 0.10.2 (``JAX_ENABLE_X64=1``); each
test quotes the JAX snippet that printed them. Conventions: ``jvp`` is the
real-linear map ``dz -> J dz``; ``vjp`` is its transpose under
``<u, v> = Re(sum(u * v))`` (no conjugation), so ``grad`` of a real-valued
function of ``z = x + i y`` is ``df/dx - i df/dy`` and ``grad(...,
holomorphic=True)`` is ``f'(z)``.
"""

import numpy as np
import pytest

import ftrans
import ftrans.numpy as jnp
from ftrans import lax
from ftrans.core import Primitive
from ftrans.prims import elementwise as ew
from ftrans.prims._families import def_elementwise_batch, def_linear
from ftrans.test_util import check_grads, check_vjp

A = np.array([[1 + 1j, 0.5 - 0.2j], [0.3j, 2 - 1j]])
B = np.array([1 - 1j, 0.5 + 2j])


# --- grad: real-valued functions of complex inputs (the conjugate convention) ----------

def test_grad_of_abs_squared():
    # jax.grad(lambda z: jnp.abs(z)**2)(1+1j) -> 2.-2.j
    g = ftrans.grad(lambda z: jnp.abs(z) ** 2)(1 + 1j)
    assert g.dtype == np.complex128
    np.testing.assert_allclose(g, 2 - 2j)


@pytest.mark.parametrize("f, z, want", [
    # jax.grad(lambda z: jnp.real(z)**2 + 3*jnp.imag(z))(1+2j) -> 2.-3.j
    (lambda z: jnp.real(z) ** 2 + 3 * jnp.imag(z), 1 + 2j, 2 - 3j),
    # jax.grad(jnp.angle)(1+1j) -> -0.5-0.5j
    (jnp.angle, 1 + 1j, -0.5 - 0.5j),
    # jax.grad(jnp.abs)(0j) -> 0j (|z| replaced by 1 at 0)
    (jnp.abs, 0j, 0j),
    # jax.grad(lambda z: jnp.real(jnp.maximum(z, 1j)))(1+1j) -> 1.+0.j
    (lambda z: jnp.real(jnp.maximum(z, 1j)), 1 + 1j, 1 + 0j),
])
def test_grad_of_real_valued_functions(f, z, want):
    np.testing.assert_allclose(ftrans.grad(f)(z), want, rtol=1e-12)


def test_grad_of_a_real_loss_of_complex_parameters():
    # A = [[1+1j, 0.5-0.2j], [0.3j, 2-1j]]; b = [1-1j, 0.5+2j]
    # jax.grad(lambda w: jnp.sum(jnp.abs(jnp.dot(A, w))**2))(b) -> [9.38+5.48j, 7.89-23.76j]
    g = ftrans.grad(lambda w: jnp.sum(jnp.abs(jnp.dot(A, w)) ** 2))(B)
    np.testing.assert_allclose(g, [9.38 + 5.48j, 7.89 - 23.76j], rtol=1e-12)
    # M = [[1+1j, 2], [0.5j, -1]]; jax.grad(lambda w: jnp.sum(jnp.abs(M @ w)**2))(b)
    #   -> [12.5-2j, 12.-19j]
    m = np.array([[1 + 1j, 2], [0.5j, -1]])
    np.testing.assert_allclose(ftrans.grad(lambda w: jnp.sum(jnp.abs(m @ w) ** 2))(B),
                               [12.5 - 2j, 12 - 19j], rtol=1e-12)
    # jax.grad(lambda w: jnp.sum(jnp.real(w*jnp.conj(w)) + jnp.imag(w)**3))(b)
    #   -> [2.-1.j, 1.-16.j]
    g = ftrans.grad(lambda w: jnp.sum(jnp.real(w * jnp.conj(w)) + jnp.imag(w) ** 3))(B)
    np.testing.assert_allclose(g, [2 - 1j, 1 - 16j], rtol=1e-12)
    # jax.grad(lambda w: jnp.abs(jnp.sum(jnp.cumsum(w)*jnp.array([1,2j]))))(b)
    g = ftrans.grad(lambda w: jnp.abs(jnp.sum(jnp.cumsum(w) * np.array([1, 2j]))))(B)
    np.testing.assert_allclose(g, [1.3416407864998738 - 1.7888543819998317j,
                                   1.7888543819998317 - 0.8944271909999159j], rtol=1e-12)


def test_grad_through_solve_and_det():
    # jax.grad(lambda b: jnp.sum(jnp.abs(jnp.linalg.solve(A, b))**2))(b)
    g = ftrans.grad(lambda b: jnp.sum(jnp.abs(jnp.linalg.solve(A, b)) ** 2))(B)
    np.testing.assert_allclose(g, [0.8413320378812953 + 1.7061530412871952j,
                                   -0.1185125078741418 - 1.2555919753152325j], rtol=1e-12)
    # jax.grad(lambda a: jnp.abs(jnp.linalg.det(a))**2)(A)
    g = ftrans.grad(lambda a: jnp.abs(jnp.linalg.det(a)) ** 2)(A)
    np.testing.assert_allclose(g, [[10.06 - 9.28j, -0.51 - 1.764j],
                                   [-2.6 + 2.026j, 7.58 + 4.18j]], rtol=1e-12)


def test_real_function_of_a_real_input_through_complex_intermediates():
    # jax.grad(lambda x: jnp.real(jnp.exp(1j*x)))(0.7) -> -0.644217687237691
    g = ftrans.grad(lambda x: jnp.real(jnp.exp(1j * x)))(0.7)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, -0.644217687237691, rtol=1e-12)
    # jax.grad(lambda x: jnp.abs(jnp.exp(1j*x)*x)**2)(1.5) -> 3.0
    np.testing.assert_allclose(ftrans.grad(lambda x: jnp.abs(jnp.exp(1j * x) * x) ** 2)(1.5),
                               3.0, rtol=1e-12)


# --- holomorphic=True ---------------------------------------------------------------------

@pytest.mark.parametrize("f, z, want", [
    # jax.grad(lambda z: z**2, holomorphic=True)(1+1j) -> 2.+2.j
    (lambda z: z ** 2, 1 + 1j, 2 + 2j),
    # jax.grad(jnp.sin, holomorphic=True)(1+1j)
    (jnp.sin, 1 + 1j, 0.83373003 - 0.98889771j),
    # jax.grad(jnp.exp, holomorphic=True)(1+1j)
    (jnp.exp, 1 + 1j, 1.46869394 + 2.28735529j),
    # jax.grad(lambda z: z**3 + 2*z, holomorphic=True)(0.5-1j) -> -0.25-3j
    (lambda z: z ** 3 + 2 * z, 0.5 - 1j, -0.25 - 3j),
    # jax.grad(lambda z: z**(0.5+1j), holomorphic=True)(1+1j)
    (lambda z: z ** (0.5 + 1j), 1 + 1j, 0.20917257 + 0.37414991j),
])
def test_holomorphic_grad(f, z, want):
    np.testing.assert_allclose(ftrans.grad(f, holomorphic=True)(z), want, rtol=1e-7)


def test_holomorphic_second_derivative():
    # jax.grad(jax.grad(lambda z: z**3, holomorphic=True), holomorphic=True)(1+1j) -> 6.+6.j
    g2 = ftrans.grad(ftrans.grad(lambda z: z ** 3, holomorphic=True), holomorphic=True)
    np.testing.assert_allclose(g2(1 + 1j), 6 + 6j)


def test_holomorphic_jacobians():
    z = np.array([1 + 1j, 2 - 1j])
    # jax.jacfwd(lambda z: z**2, holomorphic=True)(z) -> diag(2+2j, 4-2j)
    np.testing.assert_allclose(ftrans.jacfwd(lambda z: z ** 2, holomorphic=True)(z),
                               np.diag([2 + 2j, 4 - 2j]))
    # jax.jacrev(lambda z: jnp.sin(z)*z, holomorphic=True)(z)
    want = np.diag([3.12108531 + 0.47979623j, 1.18743042 + 3.26841923j])
    np.testing.assert_allclose(ftrans.jacrev(lambda z: jnp.sin(z) * z, holomorphic=True)(z),
                               want, rtol=1e-7)
    np.testing.assert_allclose(ftrans.jacfwd(lambda z: jnp.sin(z) * z, holomorphic=True)(z),
                               want, rtol=1e-7)
    # jax.hessian(lambda z: jnp.sum(z**3), holomorphic=True)(z) -> diag(6+6j, 12-6j)
    np.testing.assert_allclose(
        ftrans.hessian(lambda z: jnp.sum(z ** 3), holomorphic=True)(z),
        np.diag([6 + 6j, 12 - 6j]))
    np.testing.assert_allclose(
        ftrans.jacobian(lambda z: z ** 2, holomorphic=True)(z), np.diag([2 + 2j, 4 - 2j]))


def test_jacobians_without_holomorphic():
    # jax.jacfwd(lambda x: x*(1+2j))(np.array([1.0, 2.0])) -> (1+2j) I: real inputs
    np.testing.assert_allclose(ftrans.jacfwd(lambda x: x * (1 + 2j))(np.array([1.0, 2.0])),
                               (1 + 2j) * np.eye(2))
    # jax.jacrev(lambda z: jnp.abs(z)**2)(np.array([1+1j, 2-1j])) -> diag(2-2j, 4+2j)
    np.testing.assert_allclose(
        ftrans.jacrev(lambda z: jnp.abs(z) ** 2)(np.array([1 + 1j, 2 - 1j])),
        np.diag([2 - 2j, 4 + 2j]))
    # jacobian chooses the one mode that applies, whatever the cost analysis prefers
    for mode in ("auto", "fwd", "rev"):
        if mode != "rev":
            np.testing.assert_allclose(
                ftrans.jacobian(lambda x: x * (1 + 2j), mode=mode)(np.array([1.0, 2.0])),
                (1 + 2j) * np.eye(2))
        if mode != "fwd":
            np.testing.assert_allclose(
                ftrans.jacobian(lambda z: jnp.abs(z) ** 2, mode=mode)(np.array([1 + 1j, 2j])),
                np.diag([2 - 2j, -4j]))


# --- jvp and vjp of non-holomorphic functions ----------------------------------------------

def test_jvp_and_vjp_of_conj_z_times_z():
    f = lambda z: jnp.conj(z) * z  # noqa: E731  |z|^2, as a complex number
    # jax.jvp(f, (1+2j,), (0.5-1j,)) -> (5+0j, -3+0j)
    y, t = ftrans.jvp(f, (1 + 2j,), (0.5 - 1j,))
    np.testing.assert_allclose([y, t], [5, -3])
    # jax.vjp(f, 1+2j)[1](0.5-1j) -> 1.-2.j ; [1](1.0+0j) -> 2.-4.j
    _, f_vjp = ftrans.vjp(f, 1 + 2j)
    np.testing.assert_allclose(f_vjp(0.5 - 1j)[0], 1 - 2j)
    np.testing.assert_allclose(f_vjp(1.0 + 0j)[0], 2 - 4j)


def test_jvp_and_vjp_of_sin_z_times_conj_z():
    f = lambda z: jnp.sin(z) * jnp.conj(z)  # noqa: E731
    # jax.jvp(f, (0.3+0.4j,), (0.5+0.1j,))
    y, t = ftrans.jvp(f, (0.3 + 0.4j,), (0.5 + 0.1j,))
    np.testing.assert_allclose(y, 0.25280629315552494 - 0.01006948684683426j, rtol=1e-12)
    np.testing.assert_allclose(t, 0.37457417777724755 - 0.03438173729181612j, rtol=1e-12)
    # jax.vjp(f, 0.3+0.4j)[1](1-2j)
    np.testing.assert_allclose(ftrans.vjp(f, 0.3 + 0.4j)[1](1 - 2j)[0],
                               0.4665125460975479 - 0.7255443014484138j, rtol=1e-12)


@pytest.mark.parametrize("f, z, ct, want", [
    # jax.vjp(jax.lax.real, 1+2j)[1](0.5) -> 0.5+0j
    (lax.real, 1 + 2j, 0.5, 0.5 + 0j),
    # jax.vjp(jax.lax.imag, 1+2j)[1](0.5) -> -0.5j
    (lax.imag, 1 + 2j, 0.5, -0.5j),
    # jax.vjp(jax.lax.conj, 1+2j)[1](0.3-0.7j) -> 0.3+0.7j
    (lax.conj, 1 + 2j, 0.3 - 0.7j, 0.3 + 0.7j),
    # jax.vjp(jax.lax.conj, 1.5)[1](0.3-0.7j) -> 0.3 (real input: real cotangent)
    (lax.conj, 1.5, 0.3 - 0.7j, 0.3),
    # jax.vjp(lambda a: a*(2+3j), 1+2j)[1](0.3-0.7j) -> 2.7-0.5j (no conjugation)
    (lambda a: a * (2 + 3j), 1 + 2j, 0.3 - 0.7j, 2.7 - 0.5j),
    # jax.vjp(lambda a: lax.convert_element_type(a, complex128), 1.5)[1](0.3-0.7j) -> 0.3
    (lambda a: lax.convert_element_type(a, np.complex128), 1.5, 0.3 - 0.7j, 0.3),
    # jax.vjp(lambda x: x*(1+2j), 1.5)[1](0.3-0.7j) -> 1.7
    (lambda x: x * (1 + 2j), 1.5, 0.3 - 0.7j, 1.7),
    # jax.vjp(jnp.sqrt, 1+1j)[1](0.3-0.7j)
    (jnp.sqrt, 1 + 1j, 0.3 - 0.7j, 0.00390405 - 0.32018001j),
])
def test_vjp_conventions(f, z, ct, want):
    (g,) = ftrans.vjp(f, z)[1](ct)
    assert np.iscomplexobj(g) == np.iscomplexobj(z)  # a real input's cotangent is real
    np.testing.assert_allclose(g, want, rtol=1e-7, atol=1e-15)


def test_vjp_of_complex_parts_of_two_reals():
    # jax.vjp(jax.lax.complex, 1.0, 2.0)[1](0.3-0.7j) -> (0.3, 0.7)
    gx, gy = ftrans.vjp(lax.complex, 1.0, 2.0)[1](0.3 - 0.7j)
    np.testing.assert_allclose([gx, gy], [0.3, 0.7])
    assert gx.dtype == gy.dtype == np.float64


def test_jvp_of_abs_and_sign():
    # jax.jvp(jnp.abs, (3+4j,), (1+0.5j,)) -> (5.0, 1.0), real outputs
    y, t = ftrans.jvp(jnp.abs, (3 + 4j,), (1 + 0.5j,))
    assert y.dtype == t.dtype == np.float64
    np.testing.assert_allclose([y, t], [5.0, 1.0])
    # sign(z) = z/|z|. JAX gives it a zero tangent, a wrong number; ftrans the derivative
    y, t = ftrans.jvp(jnp.sign, (3 + 4j,), (1 + 0.5j,))
    np.testing.assert_allclose(y, 0.6 + 0.8j)
    eps = 1e-7
    numerical = (np.sign(3 + 4j + eps * (1 + 0.5j)) - np.sign(3 + 4j - eps * (1 + 0.5j))) / (2 * eps)
    np.testing.assert_allclose(t, numerical, rtol=1e-6)


def test_a_complex_cotangent_for_a_real_output_is_refused():
    _, f_vjp = ftrans.vjp(lambda z: jnp.abs(z), 1 + 1j)
    with pytest.raises(TypeError, match="cotangent 0 is complex"):
        f_vjp(1j)


# --- errors, as JAX's ---------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: ftrans.grad(lambda z: z ** 2)(1 + 1j),
     "grad requires real-valued outputs (output dtype that is a sub-dtype of np.floating), "
     "but got complex128. For holomorphic differentiation, pass holomorphic=True."),
    (lambda: ftrans.grad(lambda z: z ** 2, holomorphic=True)(1.0),
     "grad with holomorphic=True requires inputs with complex dtype, but got float64."),
    (lambda: ftrans.grad(jnp.abs, holomorphic=True)(1 + 1j),
     "grad with holomorphic=True requires outputs with complex dtype, but got float64."),
    (lambda: ftrans.jacfwd(jnp.abs)(1 + 1j),
     "jacfwd requires real-valued inputs (input dtype that is a sub-dtype of "
     "np.floating), but got complex128. For holomorphic differentiation, pass "
     "holomorphic=True."),
    (lambda: ftrans.jacfwd(jnp.abs, holomorphic=True)(1 + 1j),
     "jacfwd with holomorphic=True requires outputs with complex dtype, but got float64."),
    (lambda: ftrans.jacrev(lambda z: z ** 2)(1 + 1j),
     "jacrev requires real-valued outputs (output dtype that is a sub-dtype of "
     "np.floating), but got complex128. For holomorphic differentiation, pass "
     "holomorphic=True."),
    (lambda: ftrans.jacrev(lambda x: x * 1j)(1.0), "jacrev requires real-valued outputs"),
    (lambda: ftrans.jacrev(lambda z: z, holomorphic=True)(1.0),
     "jacrev with holomorphic=True requires inputs with complex dtype, but got float64."),
    # (JAX's hessian is jacfwd(jacrev): "jacfwd requires real-valued inputs"; ftrans's
    # picks each level's mode, and the outer level has complex inputs and outputs)
    (lambda: ftrans.hessian(lambda z: jnp.sum(jnp.abs(z) ** 2))(np.array([1j])),
     "requires real-valued"),
    (lambda: ftrans.jacobian(lambda z: z * z)(np.array([1j])),
     "jacobian requires real-valued outputs"),
    (lambda: ftrans.jvp(jnp.sin, (1.0,), (1j,)), "tangent 0 has type c128[]"),
])
def test_errors_as_in_jax(call, message):
    with pytest.raises(TypeError) as e:
        call()
    assert message in str(e.value)


@pytest.mark.parametrize("f", [lax.floor, lax.round, lax.erf, lambda z: lax.atan2(z, z),
                               lambda z: lax.rem(z, z), lax.real, lax.imag])
def test_primitives_without_complex_rules_refuse_complex(f):
    # (real and imag take complex: given a float, they say so)
    arg = 1.5 if f in (lax.real, lax.imag) else 1 + 1j
    with pytest.raises(TypeError, match="must be"):
        f(np.asarray(arg))


# --- vmap and jit --------------------------------------------------------------------------

def test_vmap_and_jit():
    # jax.vmap(jax.grad(lambda z: jnp.abs(z)**2))(jnp.array([1+1j, 2-3j])) -> [2-2j, 4+6j]
    z = np.array([1 + 1j, 2 - 3j])
    np.testing.assert_allclose(ftrans.vmap(ftrans.grad(lambda z: jnp.abs(z) ** 2))(z),
                               [2 - 2j, 4 + 6j])
    # jax.jit(jax.grad(jnp.sin, holomorphic=True))(1+1j) -> 0.83373003-0.98889771j
    np.testing.assert_allclose(ftrans.jit(ftrans.grad(jnp.sin, holomorphic=True))(1 + 1j),
                               0.83373003 - 0.98889771j, rtol=1e-7)
    # jax.vmap(jax.grad(jnp.exp, holomorphic=True))(jnp.array([0.5j, 1-1j]))
    np.testing.assert_allclose(
        ftrans.vmap(ftrans.grad(jnp.exp, holomorphic=True))(np.array([0.5j, 1 - 1j])),
        [0.8775825618903728 + 0.479425538604203j, 1.4686939399158854 - 2.2873552871788427j],
        rtol=1e-12)
    f = ftrans.jit(lambda z: jnp.abs(jnp.conj(z)) + jnp.real(z) * jnp.imag(z) + jnp.angle(z))
    np.testing.assert_allclose(f(z), np.abs(z) + z.real * z.imag + np.angle(z))
    g = ftrans.jit(ftrans.grad(lambda z: jnp.sum(jnp.abs(z * lax.complex(2.0, 1.0)) ** 2)))
    np.testing.assert_allclose(g(z), 2 * 5 * np.conj(z))


# --- ftrans.numpy and array methods ----------------------------------------------------------

def test_numpy_functions():
    z = np.array([1 + 2j, -3j, 2.0 + 0j])
    for name in ["real", "imag", "conj", "conjugate", "abs", "absolute", "angle",
                 "iscomplex", "isreal"]:
        np.testing.assert_allclose(getattr(jnp, name)(z), getattr(np, name)(z), err_msg=name)
    np.testing.assert_allclose(jnp.angle(z, deg=True), np.angle(z, deg=True))
    np.testing.assert_allclose(jnp.angle(np.array([-2, 3])), np.angle(np.array([-2, 3])))
    assert jnp.iscomplexobj(z) and not jnp.isrealobj(z)
    assert jnp.isrealobj(np.ones(2)) and not jnp.iscomplexobj(np.ones(2))
    x = np.array([1.0, -2.0])
    assert jnp.conj(x).dtype == np.float64 and jnp.real(x).dtype == np.float64
    np.testing.assert_array_equal(jnp.imag(x), [0.0, 0.0])
    np.testing.assert_array_equal(jnp.isreal(x), [True, True])


def test_tracer_properties_and_methods():
    z = np.array([1 + 2j, -0.5 + 1j])

    def f(z):
        assert jnp.iscomplexobj(z)
        return jnp.sum(z.real * z.imag + jnp.real(z.conj() * z))

    np.testing.assert_allclose(ftrans.jit(f)(z), np.sum(z.real * z.imag + np.abs(z) ** 2))
    # d/dz of Re z Im z + |z|^2 = (Im z + 2 Re z) - i (Re z + 2 Im z)
    np.testing.assert_allclose(ftrans.grad(f)(z), (z.imag + 2 * z.real)
                               - 1j * (z.real + 2 * z.imag))


# --- check_grads on complex functions, and its failures on wrong complex rules ---------------

Z = np.array([0.3 + 0.4j, -1.1 + 0.2j, 0.7 - 0.9j])


@pytest.mark.parametrize("f", [
    lambda z: jnp.conj(z) * jnp.sin(z),
    lambda z: jnp.abs(z) ** 3,
    lambda z: jnp.exp(z) / (1 + z * z),
    lambda z: jnp.angle(z) * jnp.real(z),
    lambda z: jnp.sum(jnp.dot(A, z[:2]) * jnp.conj(z[1:])),
    lambda z: (jnp.sign(z), jnp.imag(z) ** 2),
])
def test_check_grads_passes_on_complex_functions(f):
    check_grads(f, (Z,), order=2)


def test_check_grads_passes_on_mixed_real_and_complex_arguments():
    check_grads(lambda x, z: lax.complex(x, jnp.real(z)) * z, (np.array([0.5, -1.0]),
                                                                 Z[:2]), order=2)


@pytest.fixture
def bad_square():
    """``z * z`` whose JVP uses ``2 conj(z)``: right on reals, wrong on complex."""
    p = Primitive("_test_complex_bad_square")
    p.def_impl(lambda x: x * x)
    p.def_abstract_eval(lambda x: x)
    def_elementwise_batch(p)

    @p.def_jvp
    def _jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        c = ew.mul(np.asarray(2.0, x.dtype)[()], x)
        if x.dtype.kind == "c":
            c = ew.conj(c)  # wrong: the derivative of z^2 is 2 z
        return p.bind(x), ew.mul(t, c)

    yield p
    Primitive.registry.pop("_test_complex_bad_square", None)


@pytest.fixture
def bad_conj():
    """``conj`` whose transpose forgets the conjugation: its JVP is right."""
    p = Primitive("_test_complex_bad_conj")
    p.def_impl(np.conj)
    p.def_abstract_eval(lambda x: x)
    def_linear(p)
    p.def_transpose(lambda ct, x: [ct])  # wrong: conj(ct)
    yield p
    Primitive.registry.pop("_test_complex_bad_conj", None)


def test_check_grads_fails_on_a_wrong_complex_jvp(bad_square):
    check_grads(bad_square.bind, (np.array([0.3, -1.2]),), order=2)  # right on reals
    with pytest.raises(AssertionError, match="J v"):
        check_grads(bad_square.bind, (Z,), order=1, modes=("fwd",))
    with pytest.raises(AssertionError):
        check_grads(bad_square.bind, (Z,), order=1, modes=("rev",))


def test_check_grads_fails_on_a_wrong_complex_transpose(bad_conj):
    check_grads(bad_conj.bind, (Z,), order=1, modes=("fwd",))  # the JVP is right
    with pytest.raises(AssertionError, match="VJP"):
        check_grads(bad_conj.bind, (Z,), order=1, modes=("rev",))
    with pytest.raises(AssertionError):
        check_vjp(lambda z: jnp.real(bad_conj.bind(z) * (1 + 2j)), (Z,))


def test_check_grads_checks_the_imaginary_direction_alone():
    # a JVP right along real directions but wrong along imaginary ones
    @ftrans.custom_jvp
    def f(z):
        return z * 2.0

    f.defjvp(lambda p, t: (f(p[0]), lax.complex(lax.real(t[0]) * 2.0,
                                                lax.imag(t[0]) * 2.5)))
    with pytest.raises(AssertionError, match="J v"):
        check_grads(f, (Z,), order=1, modes=("fwd",))
