# attempt: the notebook's own Numba kernel from the prediction section under the exercise's name
# expect: wrong
# message: runs_per_row_nb
runs_per_row_cy = runs_per_row_nb
