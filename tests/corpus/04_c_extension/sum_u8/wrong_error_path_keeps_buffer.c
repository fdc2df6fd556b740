%%c_extension ex_sum
// attempt: the format error path returns without PyBuffer_Release
// expect: wrong
// message: was not released
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
sum_u8(PyObject *self, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return NULL;
    if (view.itemsize != 1 || strcmp(view.format, "B") != 0) {
        PyErr_SetString(PyExc_TypeError, "sum_u8: expected unsigned bytes");
        return NULL;
    }
    const unsigned char *p = (const unsigned char *)view.buf;
    unsigned long long total = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < view.len; i++)
        total += p[i];
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLongLong(total);
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
