"""The unit of work that notebook 07 runs on many processes, in a file next to the notebook.

Why a file and not a notebook cell: multiprocessing's "spawn" pool starts fresh Python
processes; a function reaches them by name only (module + function: all that pickle sends),
and each worker imports that module itself. A function defined in a notebook cell lives in the
kernel's __main__, which a worker cannot import (the worker cannot read the task: a plain
multiprocessing.Pool's map waits for ever, while the pool scale.make_pool makes refuses such a
function at once and says where it belongs); a function in this file is found, because the
workers start in the notebook's folder with the kernel's sys.path. joblib's loky and Dask
pickle with cloudpickle, which could ship a cell's function by value; this one file serves all
three, and a real cluster's workers (on other machines) receive it from the notebook with
client.upload_file.

Change the code here, restart the kernel (a module is imported once per kernel), run the
notebook again: it measures your version. optkit.lessons.scale_out keeps the same functions
for optkit's tests (a test keeps this file and those equal).
"""
import numpy as np

from optkit import data
from optkit.lessons.scale_out import CROP_SIZE, DOC_ARGS, crop_gray_batch, normalise_batch


def preprocess(doc, size=CROP_SIZE) -> np.ndarray:
    """Crop every quad of a document upright, grey, normalised: (N, h, w) float32."""
    return normalise_batch(crop_gray_batch(doc.image, doc.quads, size))


def process_seed(seed: int, width: int = DOC_ARGS["width"], height: int = DOC_ARGS["height"],
                 n_boxes: int = DOC_ARGS["n_boxes"], size=CROP_SIZE) -> np.ndarray:
    """Load (generate) the document with this seed and preprocess it. Deterministic, so
    every process, here or on a cluster node, returns the same bytes for the same seed."""
    doc = data.make_document(width, height, n_boxes=n_boxes, seed=int(seed))
    return preprocess(doc, size)


def process_chunk(seeds, **doc_args) -> list:
    """One task = one chunk of documents: per-task overheads are paid once per chunk."""
    return [process_seed(s, **doc_args) for s in seeds]
