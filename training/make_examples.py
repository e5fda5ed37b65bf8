"""Before/after examples of the synthetic attacks, from the generated faces of a repo-free npm sample image.

Run from the repository root: training/.venv/bin/python training/make_examples.py  (writes training/examples/).
Never use corpus images here: the corpus is research-only and must not be committed.
"""
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic import print_attack, replay_attack  # noqa: E402

SAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'node_modules',
                      '@vladmandic/face-api/demo/sample2.jpg')
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'examples')


# Square crops (~1.5x the face, as the product crops) of the three faces in the 1920x1367 sample, picked by hand.
FACES = ((220, 70, 420), (850, 210, 300), (1372, 102, 345))


def face_tiles(img: Image.Image, size: int):
    for x, y, side in FACES:
        tile = img.crop((x, y, x + side, y + side))
        yield np.asarray(tile.convert('RGB').resize((size, size), Image.BOX)).astype(np.float32) / 255


def main(size: int = 128):
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(7)
    rows = []
    for face in face_tiles(Image.open(SAMPLE), size):
        rows.append(np.concatenate([face, print_attack(face, rng), replay_attack(face, rng)], axis=1))
    grid = (np.clip(np.concatenate(rows, axis=0), 0, 1) * 255).astype(np.uint8)
    big = Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST)
    path = os.path.join(OUT, 'synthetic-attacks.jpg')
    big.save(path, quality=92)
    print('wrote', path, '(columns: live, print-synthetic, replay-synthetic; 2x nearest zoom)')


if __name__ == '__main__':
    main()
