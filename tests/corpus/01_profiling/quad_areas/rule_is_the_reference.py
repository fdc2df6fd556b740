# attempt: the check's reference handed over as the answer (it calls nothing: it IS the reference)
# expect: rule
# message: is areas_reference (the exercise's reference) itself
quad_areas = areas_reference
