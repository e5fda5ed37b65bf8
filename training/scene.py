"""Scene-level synthetic attacks: a live face shown on a phone, tablet, monitor or TV, or printed on a sheet or an
ID card, held in front of a real room, as the product's crop of a re-captured frame would see it.

Texture-level attacks (synthetic.py) change only the pixels of the face. Real attacks also show their medium: in
the 1.5x crop a phone's bezel, the fingers holding it, a TV frame, the white edge of a paper or the edge of a card,
tilted in perspective, with glare, in front of a background at another focus and brightness. These are the cues a
model must learn from real attacks when texture is lost to a webcam's blur and JPEG.

`scene_attack(context, background, rng)` works in the training context frame (prepared `context` crops: the face
box centred, side = C / CONTEXT_PER_FACE), so the face keeps its place and scale and the usual random window
(augment.geometric) then cuts the product's crop out of the scene.
"""
import numpy as np

from synthetic import print_texture, recapture, replay_texture

# prepare writes the context crop at 1.25x the 1.5x inference crop: 1.875 face-box sides.
CONTEXT_PER_FACE = 1.875
MEDIA = ('phone', 'screen', 'print', 'id-card')
MEDIA_P = (0.35, 0.25, 0.2, 0.2)


def _bilinear(img: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    xs, ys = np.clip(xs, 0, w - 1.001), np.clip(ys, 0, h - 1.001)
    x0, y0 = xs.astype(np.int32), ys.astype(np.int32)
    fx, fy = (xs - x0)[..., None], (ys - y0)[..., None]
    return ((img[y0, x0] * (1 - fx) + img[y0, x0 + 1] * fx) * (1 - fy)
            + (img[y0 + 1, x0] * (1 - fx) + img[y0 + 1, x0 + 1] * fx) * fy)


def _rounded_rect_outside(u, v, left, right, top, bottom, radius):
    """Distance outside a rounded rectangle [left,right]x[top,bottom] (<= 0 inside), in face units."""
    cx, cy = (right - left) / 2, (bottom - top) / 2
    hx, hy = (right + left) / 2 - radius, (bottom + top) / 2 - radius
    qx, qy = np.abs(u - cx) - hx, np.abs(v - cy) - hy
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    return outside + np.minimum(np.maximum(qx, qy), 0) - radius


def _homography(rng: np.random.Generator, tilt: float) -> np.ndarray:
    """Medium plane (face units, face centre at 0) -> image plane (face units): rotation, zoom, perspective."""
    angle = np.deg2rad(rng.normal(0, 6))
    zoom = rng.uniform(0.92, 1.08)
    c, s = np.cos(angle) * zoom, np.sin(angle) * zoom
    h = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]], np.float64)
    h[2, :2] = rng.uniform(-tilt, tilt, 2)
    return h


def _background(background: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """A room behind the medium: a zoomed corner of another camera frame, out of focus, at its own exposure."""
    c = background.shape[0]
    side = c * rng.uniform(0.45, 0.8)
    x0, y0 = rng.uniform(0, c - side, 2)
    grid = np.linspace(0, side, size, dtype=np.float32)
    img = _bilinear(background, x0 + grid[None, :].repeat(size, 0), y0 + grid[:, None].repeat(size, 1))
    if rng.random() < 0.5:
        img = img[:, ::-1]
    k = int(rng.integers(0, 3))
    for _ in range(k):  # cheap defocus: the camera focuses on the held medium
        img = (img + np.roll(img, 1, 0) + np.roll(img, -1, 0) + np.roll(img, 1, 1) + np.roll(img, -1, 1)) / 5
    return np.clip(img * rng.uniform(0.35, 1.15), 0, 1)


def _skin(face: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    c = face.shape[0]
    centre = face[int(c * 0.45):int(c * 0.6), int(c * 0.4):int(c * 0.6)].reshape(-1, 3).mean(0)
    return np.clip(centre * rng.uniform(0.8, 1.15) + rng.normal(0, 0.03, 3), 0.05, 1)


def _fingers(u, v, edges, rng: np.random.Generator):
    """Capsules over one edge of the medium: (mask, shade) in the medium plane."""
    left, right, top, bottom = edges
    side = rng.integers(0, 4)
    count = int(rng.integers(1, 5))
    width = rng.uniform(0.18, 0.3)
    mask = np.zeros(u.shape, bool)
    shade = np.ones(u.shape, np.float32)
    along = rng.uniform(-0.6, 0.6) + np.arange(count) * width * 1.05
    reach = rng.uniform(0.15, 0.45)
    for a in along:
        if side in (0, 1):  # left / right edge: fingers point inwards horizontally
            edge = -left if side == 0 else right
            dirn = 1 if side == 0 else -1
            pu0, pu1, pv = edge - dirn * 0.3, edge + dirn * reach, a
            t = np.clip((u - pu0) / (pu1 - pu0), 0, 1)
            d = np.hypot(u - (pu0 + t * (pu1 - pu0)), v - pv)
        else:  # bottom / top edge
            edge = bottom if side == 2 else -top
            dirn = -1 if side == 2 else 1
            pv0, pv1, pu = edge - dirn * 0.3, edge + dirn * reach, a
            t = np.clip((v - pv0) / (pv1 - pv0), 0, 1)
            d = np.hypot(v - (pv0 + t * (pv1 - pv0)), u - pu)
        inside = d < width / 2
        mask |= inside
        shade = np.where(inside, 0.75 + 0.35 * np.sqrt(np.clip(1 - (2 * d / width) ** 2, 0, 1)), shade)
    return mask, shade


def scene_attack(context: np.ndarray, background: np.ndarray, rng: np.random.Generator, medium: str = None):
    """(C,C,3) float live context crop -> (C,C,3) float attack scene in the same frame, and the medium's name."""
    c = context.shape[0]
    face = c / CONTEXT_PER_FACE
    medium = medium or MEDIA[rng.choice(len(MEDIA), p=MEDIA_P)]
    if medium == 'id-card':
        # The portrait is a small part of the card; the card runs on to one side with printed lines.
        photo = (rng.uniform(0.5, 0.7), rng.uniform(0.5, 0.7), rng.uniform(0.6, 0.8), rng.uniform(0.6, 0.8))
        margin = rng.uniform(0.08, 0.2)
        edges = [photo[0] + margin, photo[1] + margin + rng.uniform(0.6, 1.6), photo[2] + margin, photo[3] + margin]
        if rng.random() < 0.5:
            edges[0], edges[1] = edges[1], edges[0]
        frame, radius = 0.0, rng.uniform(0.05, 0.12)
        texture = print_texture
    else:
        # Visible screen or picture around the face, per side; beyond reach the edge is out of the crop.
        lo, hi = {'phone': (0.45, 0.85), 'screen': (0.6, 1.4), 'print': (0.5, 1.1)}[medium]
        photo = tuple(rng.uniform(lo, hi, 4))
        frame = {'phone': rng.uniform(0.03, 0.14), 'screen': rng.uniform(0.02, 0.1),
                 'print': rng.uniform(0.0, 0.25)}[medium]
        edges = [p + frame for p in photo]
        radius = rng.uniform(0.04, 0.18) if medium == 'phone' else rng.uniform(0.0, 0.03)
        texture = print_texture if medium == 'print' else replay_texture
    shown = np.clip(texture(context, rng), 0, 1)
    if medium in ('phone', 'screen') and rng.random() < 0.4:
        shown = np.clip(shown * rng.uniform(1.1, 1.5), 0, 1)  # a display glows against a dim room
    # Medium plane coordinates of every output pixel (inverse homography), in face units.
    h = _homography(rng, 0.12 if medium != 'screen' else 0.05)
    ys, xs = np.mgrid[0:c, 0:c].astype(np.float64)
    pts = np.stack([(xs + 0.5 - c / 2) / face, (ys + 0.5 - c / 2) / face, np.ones_like(xs)])
    mp = np.tensordot(np.linalg.inv(h), pts, 1)
    u, v = (mp[0] / mp[2]).astype(np.float32), (mp[1] / mp[2]).astype(np.float32)
    outside_photo = _rounded_rect_outside(u, v, photo[0], photo[1], photo[2], photo[3], radius * 0.5)
    outside_medium = _rounded_rect_outside(u, v, *edges, radius)
    room = _background(background, c, rng)
    img = room
    if medium in ('phone', 'screen'):
        bezel = np.full(3, rng.choice([rng.uniform(0.0, 0.12), rng.uniform(0.6, 0.95)], p=[0.75, 0.25]), np.float32)
        border = bezel * (1 + 0.2 * np.tanh(v[..., None]))
    elif medium == 'print':
        paper = np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.88, 0.98)], np.float32) * rng.uniform(0.7, 1.0)
        border = np.broadcast_to(paper, u.shape + (3,))
    else:
        card = (0.5 * rng.uniform(0.55, 0.95, 3) + 0.5 * rng.uniform(0.7, 0.95)).astype(np.float32)
        lines = (np.sin(v * rng.uniform(25, 45)) > 0.6) & (np.abs(u) > max(photo[0], photo[1]))
        border = np.where(lines[..., None], card * 0.35, card)
    on_medium = outside_medium <= 0
    img = np.where(on_medium[..., None], border, img)
    on_photo = outside_photo <= 0
    src = _bilinear(shown, u * face + c / 2 - 0.5, v * face + c / 2 - 0.5)
    img = np.where(on_photo[..., None], src, img)
    # Anti-aliased medium edge: a 1-px blend keeps the outline from being a perfect step no camera would record.
    edge = np.clip(0.5 - outside_medium * face, 0, 1)[..., None]
    img = np.where((edge > 0) & (edge < 1), img * edge + room * (1 - edge), img)
    if medium != 'screen' and rng.random() < 0.6:
        mask, shade = _fingers(u, v, edges, rng)
        img = np.where(mask[..., None], _skin(context, rng) * shade[..., None], img)
    if medium != 'print' and rng.random() < 0.5:  # glass or laminate glare: a soft streak across the medium
        angle = rng.uniform(0, np.pi)
        dist = np.abs(np.cos(angle) * u + np.sin(angle) * v - rng.uniform(-0.8, 0.8))
        glare = rng.uniform(0.1, 0.45) * np.exp(-(dist / rng.uniform(0.05, 0.3)) ** 2)
        img = img + (glare * on_medium)[..., None]
    return recapture(np.clip(img, 0, 1).astype(np.float32), rng), medium
