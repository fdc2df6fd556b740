# attempt: calls the check's own vectorised version
# expect: rule
def quad_areas(quads):
    return areas_reference(quads)
