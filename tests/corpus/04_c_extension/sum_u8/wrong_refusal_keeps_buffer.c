%%c_extension ex_sum
// attempt: refuses a view that is not C-contiguous, but returns without PyBuffer_Release on that path
// expect: wrong
// message: refusal path
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
sum_u8(PyObject *self, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_RECORDS_RO) < 0)
        return NULL;
    if (!PyBuffer_IsContiguous(&view, 'C')) {
        PyErr_SetString(PyExc_ValueError, "sum_u8: the buffer is not C-contiguous");
        return NULL;                    /* the view is never released */
    }
    const char *f = view.format ? view.format : "B";
    if (view.itemsize != 1 || strcmp(f, "B") != 0) {
        PyBuffer_Release(&view);
        PyErr_Format(PyExc_TypeError, "sum_u8: expected bytes, got items of format '%s'", f);
        return NULL;
    }
    const unsigned char *p = (const unsigned char *)view.buf;
    Py_ssize_t n = view.len, i = 0;
    unsigned long long a = 0, b = 0, c = 0, d = 0;
    Py_BEGIN_ALLOW_THREADS
    for (; i + 4 <= n; i += 4) {
        a += p[i]; b += p[i + 1]; c += p[i + 2]; d += p[i + 3];
    }
    for (; i < n; i++)
        a += p[i];
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLongLong(a + b + c + d);
}

static PyMethodDef methods[] = {
    {"sum_u8", sum_u8, METH_O, "Sum of the bytes of a C-contiguous uint8 buffer."},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "ex_sum", NULL, -1, methods};

PyMODINIT_FUNC
PyInit_ex_sum(void)
{
    return PyModule_Create(&module);
}
