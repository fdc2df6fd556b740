%%c_extension ex_refs
// attempt: the error path returns NULL but leaks the partly built list
// expect: wrong
// message: leaks the partly built list
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
scaled(PyObject *self, PyObject *args)
{
    PyObject *values;
    double factor;
    if (!PyArg_ParseTuple(args, "O!d:scaled", &PyList_Type, &values, &factor))
        return NULL;
    PyObject *result = PyList_New(0);
    if (result == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(values); i++) {
        double v = PyFloat_AsDouble(PyList_GET_ITEM(values, i));
        if (v == -1.0 && PyErr_Occurred())
            return NULL;
        PyObject *f = PyFloat_FromDouble(v * factor);
        if (f == NULL || PyList_Append(result, f) < 0) {
            Py_XDECREF(f);
            return NULL;
        }
        Py_DECREF(f);
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
