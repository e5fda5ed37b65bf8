"""Before/after examples of the synthetic attacks, from the generated faces of a repo-free npm sample image.

Run from the repository root: training/.venv/bin/python training/make_examples.py  (writes training/examples/).
Never use corpus images here: the corpus is research-only and must not be committed.
"""
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scene import CONTEXT_PER_FACE, MEDIA, scene_attack  # noqa: E402
from synthetic import print_attack, replay_attack, to_uint8  # noqa: E402

SAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'node_modules',
                      '@vladmandic/face-api/demo/sample2.jpg')
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'examples')


# Square crops (~1.5x the face, as the product crops) of the three faces in the 1920x1367 sample, picked by hand.
FACES = ((220, 70, 420), (850, 210, 300), (1372, 102, 345))
# A face-free stretch of the same photo stands in for the room behind a held-up medium.
BACKGROUND = (0, 900, 460)


def face_tiles(img: Image.Image, size: int, context: float = 1.0):
    """The hand-picked crops, widened by `context` about their centre (1.25: the training context crop)."""
    for x, y, side in FACES:
        grow = side * (context - 1) / 2
        tile = img.crop((x - grow, y - grow, x + side + grow, y + side + grow))
        yield np.asarray(tile.convert('RGB').resize((size, size), Image.BOX)).astype(np.float32) / 255


def centre_crop(context: np.ndarray, size: int) -> np.ndarray:
    """The product's 1.5x crop out of a 1.875x context tile."""
    c = context.shape[0]
    side = c * 1.5 / CONTEXT_PER_FACE
    box = tuple(float(v) for v in ((c - side) / 2, (c - side) / 2, (c + side) / 2, (c + side) / 2))
    img = Image.fromarray(to_uint8(context))
    return np.asarray(img.resize((size, size), Image.BOX, box=box)).astype(np.float32) / 255


def texture_sheet(img: Image.Image, rng, size: int):
    rows = []
    for face in face_tiles(img, size):
        rows.append(np.concatenate([face, print_attack(face, rng), replay_attack(face, rng)], axis=1))
    return np.concatenate(rows, axis=0)


def scene_sheet(img: Image.Image, rng, size: int, per_medium: int = 2):
    x, y, side = BACKGROUND
    room = np.asarray(img.crop((x, y, x + side, y + side)).convert('RGB').resize((160, 160), Image.BOX))
    room = room.astype(np.float32) / 255
    contexts = list(face_tiles(img, 160, context=1.25))
    rows = []
    for face in contexts:
        tiles = [centre_crop(face, size)]
        for medium in MEDIA:
            for _ in range(per_medium):
                tiles.append(centre_crop(scene_attack(face, room, rng, medium)[0], size))
        rows.append(np.concatenate(tiles, axis=1))
    return np.concatenate(rows, axis=0)


def save(grid: np.ndarray, name: str, note: str):
    grid = (np.clip(grid, 0, 1) * 255).astype(np.uint8)
    big = Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST)
    path = os.path.join(OUT, name)
    big.save(path, quality=90)
    print('wrote', path, note)


def main(size: int = 128):
    os.makedirs(OUT, exist_ok=True)
    img = Image.open(SAMPLE)
    save(texture_sheet(img, np.random.default_rng(7), size), 'synthetic-attacks.jpg',
         '(columns: live, print-synthetic, replay-synthetic; 2x nearest zoom)')
    save(scene_sheet(img, np.random.default_rng(11), 80), 'scene-attacks.jpg',
         '(columns: live, then two each of ' + ', '.join(MEDIA) + '; the 1.5x product crop, 80 px, 2x zoom)')


if __name__ == '__main__':
    main()
