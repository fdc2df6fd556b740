%%c_extension ex_refs
// attempt: PyList_New(n) and PyList_SET_ITEM (which steals the reference)
// expect: correct
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
scaled(PyObject *self, PyObject *args)
{
    PyObject *values;
    double factor;
    if (!PyArg_ParseTuple(args, "O!d:scaled", &PyList_Type, &values, &factor))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(values);
    PyObject *result = PyList_New(n);
    if (result == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        double v = PyFloat_AsDouble(PyList_GET_ITEM(values, i));
        if (v == -1.0 && PyErr_Occurred()) {
            Py_DECREF(result);      /* frees the floats set so far, and the empty slots */
            return NULL;
        }
        PyObject *f = PyFloat_FromDouble(v * factor);
        if (f == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        PyList_SET_ITEM(result, i, f);
    }
    return result;
}

static PyMethodDef methods[] = {
    {"scaled", scaled, METH_VARARGS, "A new list: every value times factor."},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "ex_refs", NULL, -1, methods};

PyMODINIT_FUNC
PyInit_ex_refs(void)
{
    return PyModule_Create(&module);
}
