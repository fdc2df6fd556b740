/* optkit.native: the course's C extension (raw Python/C API + buffer protocol).
 *
 * build_info()  -> dict: how this module was built (OpenMP on/off, max threads).
 * mean_u8(buf)  -> float: mean of a C-contiguous uint8 buffer, computed without the GIL.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#ifdef OPTKIT_OPENMP
#include <omp.h>
#endif

static PyObject *
build_info(PyObject *self, PyObject *Py_UNUSED(ignored))
{
#ifdef OPTKIT_OPENMP
    int openmp = 1;
    int max_threads = omp_get_max_threads();
#else
    int openmp = 0;
    int max_threads = 1;
#endif
    return Py_BuildValue("{s:O,s:i,s:s}", "openmp", openmp ? Py_True : Py_False,
                         "max_threads", max_threads, "compiler",
#if defined(__clang__)
                         "clang"
#elif defined(__GNUC__)
                         "gcc"
#elif defined(_MSC_VER)
                         "msvc"
#else
                         "unknown"
#endif
    );
}

static PyObject *
mean_u8(PyObject *self, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return NULL;
    if (view.itemsize != 1 || (view.format && strcmp(view.format, "B") != 0)) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_TypeError, "mean_u8: expected a uint8 buffer");
        return NULL;
    }
    if (view.len == 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "mean_u8: empty buffer");
        return NULL;
    }
    const unsigned char *p = (const unsigned char *)view.buf;
    Py_ssize_t n = view.len;
    unsigned long long total = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++)
        total += p[i];
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return PyFloat_FromDouble((double)total / (double)n);
}

static PyMethodDef native_methods[] = {
    {"build_info", build_info, METH_NOARGS, "How this module was built: {'openmp': bool, 'max_threads': int, 'compiler': str}."},
    {"mean_u8", mean_u8, METH_O, "Mean of a C-contiguous uint8 buffer (GIL released while summing)."},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, "optkit.native", "optkit's C extension.", -1, native_methods
};

PyMODINIT_FUNC
PyInit_native(void)
{
    return PyModule_Create(&native_module);
}
