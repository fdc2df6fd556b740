"""The two datasets that notebook 06 measures, in a file next to the notebook.

Why a file and not a notebook cell: with DataLoader workers (num_workers > 0) each worker is
a fresh Python process (started by "forkserver" here). It receives the dataset pickled, and
unpickling an object imports the module its class was defined in. A class defined in a
notebook cell lives in the kernel's __main__, which a worker cannot import; a class in this
file is found by name, because the workers start in the notebook's folder with the
kernel's sys.path.

Change the code here, restart the kernel (a module is imported once per kernel), run the
notebook again: it measures your version. optkit.lessons.frameworks_first keeps the same two
classes for optkit's tests (a test keeps this file and those equal).
"""
import cv2
import numpy as np

from optkit.lessons.frameworks_first import (CROP_SIZE, check_crop_args, crop_gray_batch, crop_one,
                                             jitter_table, normalise_batch, word_length_labels)


class PerSampleCrops:
    """The "before" dataset: everything happens per sample in ``__getitem__`` (crop, grey,
    float, normalise, to tensor), and the DataLoader collates one sample at a time.

    ``doc``: an optkit.data.Document. Augmentation: the quad corners are jittered by a
    table drawn from ``seed`` (same table in :class:`BatchCrops`, so both give equal batches).
    """

    def __init__(self, doc, size=CROP_SIZE, seed: int = 0, jitter: float = 1.0,
                 n_classes: int = 10):
        self.image = doc.image
        self.quads = (check_crop_args(doc.image, doc.quads, size)
                      + jitter_table(len(doc.quads), seed, jitter))
        self.labels = word_length_labels(doc.texts, n_classes)
        self.size = (int(size[0]), int(size[1]))

    def __len__(self):
        return len(self.quads)

    def __getitem__(self, i):
        import torch

        crop = crop_one(self.image, self.quads[i], self.size)      # (h, w, 3) uint8
        gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)               # (h, w) uint8
        x = torch.tensor(gray, dtype=torch.float32) / 255.0         # like ToTensor()
        x = (x - x.mean()) / (x.std(correction=0) + 1e-6)           # like Normalize(), per crop
        return x.unsqueeze(0), int(self.labels[i])


class BatchCrops(PerSampleCrops):
    """The fix: indexed by a LIST of indices (use with a BatchSampler and batch_size=None),
    it crops the whole batch, converts and normalises it in whole-array operations and
    returns ready tensors ``(x (B, 1, h, w) float32, y (B,) int64)``."""

    takes_index_lists = True        # make_loader reads this: a BatchSampler, no collating

    def __getitem__(self, idx):
        import torch

        idx = np.atleast_1d(np.asarray(idx, np.int64))
        gray = crop_gray_batch(self.image, self.quads[idx], self.size)
        x = normalise_batch(gray)
        return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(self.labels[idx])
