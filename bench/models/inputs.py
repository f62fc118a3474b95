"""Seeded, realistic model inputs: natural-image-like pictures and token ids.

Both the batch-norm calibration of the generators and the reference data of
`reference.py` draw from here, so the statistics the weights were calibrated
on are the statistics the compiler's tests feed.
"""

from __future__ import annotations

import numpy as np

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406])
IMAGENET_STD = np.array([0.229, 0.224, 0.225])

# Token ids with a fixed meaning in the generated BERT's vocabulary.
PAD_ID, CLS_ID, SEP_ID = 0, 1, 2


def _resize_matrix(n_out: int, n_in: int) -> np.ndarray:
    """Linear-interpolation matrix (align_corners=True) from n_in to n_out."""
    pos = np.linspace(0.0, n_in - 1, n_out)
    lo = np.clip(np.floor(pos).astype(int), 0, max(n_in - 2, 0))
    frac = pos - lo
    m = np.zeros((n_out, n_in))
    m[np.arange(n_out), lo] += 1.0 - frac
    if n_in > 1:
        m[np.arange(n_out), lo + 1] += frac
    return m


def smooth_noise(rng: np.random.Generator, h: int, w: int,
                 octaves: int = 6) -> np.ndarray:
    """1/f-like noise: random grids from 2x2 up to h x w, upsampled and summed.

    Coarse octaves carry the most energy, as in natural images (a smooth
    background with edges and texture on top). Returns zero mean, unit std.
    """
    out = np.zeros((h, w))
    for o in range(octaves):
        gh = min(h, 2 << o)
        gw = min(w, 2 << o)
        grid = rng.standard_normal((gh, gw))
        out += (_resize_matrix(h, gh) @ grid @ _resize_matrix(w, gw).T) / (1.6 ** o)
    return (out - out.mean()) / out.std()


def natural_images(rng: np.random.Generator, shape) -> np.ndarray:
    """NCHW float32 images, ImageNet-normalized like a torchvision pipeline.

    Each image is a luminance field plus weaker per-channel chroma fields,
    squashed into [0, 1] pixel values, then `(x - mean) / std` with the
    ImageNet statistics: values fall in about [-2.1, 2.6], as real inputs do.
    """
    n, c, h, w = shape
    images = np.empty(shape)
    for i in range(n):
        luma = smooth_noise(rng, h, w)
        for ch in range(c):
            field = luma + 0.35 * smooth_noise(rng, h, w)
            pixels = 1.0 / (1.0 + np.exp(-1.2 * field + rng.normal(0, 0.3)))
            mean = IMAGENET_MEAN[ch % 3]
            std = IMAGENET_STD[ch % 3]
            images[i, ch] = (pixels - mean) / std
    return images.astype(np.float32)


def token_batch(rng: np.random.Generator, batch: int, seq_len: int,
                vocab: int, mask_dtype=np.int64):
    """`[CLS] tokens... [SEP] [PAD]...` ids and the matching attention mask.

    Each row has a random length between half and all of `seq_len`, so the
    mask has real padding to honour.
    """
    ids = np.full((batch, seq_len), PAD_ID, np.int64)
    mask = np.zeros((batch, seq_len), mask_dtype)
    for i in range(batch):
        length = int(rng.integers(seq_len // 2, seq_len + 1))
        ids[i, 0] = CLS_ID
        ids[i, 1:length - 1] = rng.integers(SEP_ID + 1, vocab, length - 2)
        ids[i, length - 1] = SEP_ID
        mask[i, :length] = 1
    return ids, mask
