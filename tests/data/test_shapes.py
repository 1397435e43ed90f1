"""shapes-captions: the captions say what the pixels show, held-out pairs stay out of training,
and every test scene holds one."""

import numpy as np

from rnnkit.data.shapes import COLOURS, COUNTS, HELD_OUT, SHAPES, SIZE, generate


def test_captions_name_count_colour_shape_and_position_of_what_is_drawn():
    for scene in generate("valid", 60):
        count = len(scene.shapes)
        head, tail = scene.caption.split(": ")
        assert head == COUNTS[count - 1]
        described = tail.split(", ")
        assert len(described) == count
        for (colour, shape, (x0, y0, x1, y1)), text in zip(scene.shapes, described):
            assert text.split()[:2] == [colour, shape]
            row, column = text.split()[2:]
            assert ["top", "middle", "bottom"].index(row) == ((y0 + y1) // 2) // 16
            assert ["left", "center", "right"].index(column) == ((x0 + x1) // 2) // 16
            box = scene.image[:, y0 : y1 + 1, x0 : x1 + 1]
            # the shape's colour is what the box holds most of
            bright = box.reshape(3, -1)[:, box.max(0).reshape(-1) > 0.5].mean(1)
            assert np.argmax(bright) == np.argmax(COLOURS[colour]) or colour in ("yellow",
                                                                                 "magenta", "cyan")
        assert scene.image.shape == (3, SIZE, SIZE) and 0 <= scene.image.min() <= scene.image.max() <= 1


def test_held_out_pairs_never_appear_in_training_and_every_test_scene_has_one():
    train, test = generate("train", 2000), generate("test", 300)
    seen = {(c, s) for scene in train for c, s, _ in scene.shapes}
    assert not seen & set(HELD_OUT)
    assert len(seen) == len(COLOURS) * len(SHAPES) - len(HELD_OUT)
    assert all(any((c, s) in HELD_OUT for c, s, _ in scene.shapes) for scene in test)


def test_the_generator_is_seeded():
    a, b = generate("valid", 5), generate("valid", 5)
    assert [s.caption for s in a] == [s.caption for s in b]
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a, b))
