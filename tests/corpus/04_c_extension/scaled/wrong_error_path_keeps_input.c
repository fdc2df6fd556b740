%%c_extension ex_refs
// attempt: takes PySequence_Fast(values) and drops it on success, but not when an item is not a number: the input list leaks on every refused call
// expect: wrong
// message: error path
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
scaled(PyObject *self, PyObject *args)
{
    PyObject *values;
    double factor;
    if (!PyArg_ParseTuple(args, "O!d:scaled", &PyList_Type, &values, &factor))
        return NULL;
    PyObject *seq = PySequence_Fast(values, "scaled: expected a list");   /* new reference */
    if (seq == NULL)
        return NULL;
    values = seq;
    PyObject *result = PyList_New(0);
    if (result == NULL) {
        Py_DECREF(seq);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(values); i++) {
        double v = PyFloat_AsDouble(PyList_GET_ITEM(values, i));   /* borrowed item */
        if (v == -1.0 && PyErr_Occurred()) {
            Py_DECREF(result);
            return NULL;                /* seq is never dropped here */
        }
        PyObject *f = PyFloat_FromDouble(v * factor);              /* new reference */
        if (f == NULL || PyList_Append(result, f) < 0) {
            Py_XDECREF(f);
            Py_DECREF(result);
            Py_DECREF(seq);
            return NULL;
        }
        Py_DECREF(f);               /* Append took its own reference: drop ours */
    }
    Py_DECREF(seq);
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