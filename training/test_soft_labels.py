#!/usr/bin/env python3
"""Offline distillation (`train.py --soft-labels`): the soft-label table and the loss that reads it.

  * read_soft_labels puts each training row's logits on its own row, leaves validation rows NaN even when the file
    lists them, and refuses a file that covers under 90% of the training rows;
  * gate_soft_labels (--soft-gate agree) drops the rows where the teacher's argmax contradicts the hard label and
    keeps the others unchanged;
  * soft_label_loss is zero when the student's logits equal the teacher's, positive otherwise, ignores the
    synthetic tail of the batch and rows without a soft label, and carries gradient to the student's logits.

  training/.venv/bin/python training/test_soft_labels.py

Exit 0 and 'OK soft labels' on success; an AssertionError otherwise.
"""
import os
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train import gate_soft_labels, read_soft_labels, soft_label_loss  # noqa: E402


def write_table(path, entries):
    with open(path, 'w') as f:
        f.write('path,logit_live,logit_spoof\n')
        for p, (a, b) in entries.items():
            f.write(f'{p},{a},{b}\n')


def test_table():
    rows = [{'path': f'src/{i}.jpg'} for i in range(6)]
    train_idx = np.array([0, 1, 3, 4, 5])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'soft.csv')
        write_table(path, {f'src/{i}.jpg': (float(i), -float(i)) for i in range(6)})
        table = read_soft_labels(path, rows, train_idx)
        assert table.shape == (6, 2), table.shape
        assert np.all(np.isnan(table[2])), 'a validation row got a soft label'
        for i in train_idx:
            assert tuple(table[i]) == (float(i), -float(i)), (i, table[i])
        write_table(path, {'src/0.jpg': (1.0, 0.0), 'src/1.jpg': (1.0, 0.0)})
        try:
            read_soft_labels(path, rows, train_idx)
        except SystemExit as e:
            assert 'under 90%' in str(e), e
        else:
            raise AssertionError('a table covering 2 of 5 training rows was accepted')


def test_loss():
    soft = np.array([[2.0, -1.0], [-0.5, 0.5], [np.nan, np.nan], [1.0, 1.0]], np.float32)
    idx = np.array([0, 1, 2, 3])
    same = torch.tensor(soft[[0, 1, 2, 3]]).nan_to_num(0.0)
    # Rows 0, 1 labelled; row 2 has no soft label; row 3 is the synthetic tail (n_syn=1).
    assert float(soft_label_loss(same, soft, idx, 1, 2.0)) < 1e-6
    student = torch.zeros(4, 2, requires_grad=True)
    loss = soft_label_loss(student, soft, idx, 1, 2.0)
    assert float(loss) > 0.01, float(loss)
    loss.backward()
    grad = student.grad.abs().sum(1)
    assert float(grad[0]) > 0 and float(grad[1]) > 0, grad
    assert float(grad[2]) == 0 and float(grad[3]) == 0, f'unlabelled or synthetic rows got gradient: {grad}'
    # The synthetic tail is what the batch ends with: with n_syn=3 only row 0 counts.
    only0 = soft_label_loss(torch.zeros(4, 2), soft, idx, 3, 2.0)
    ref = soft_label_loss(torch.zeros(1, 2), soft[:1], np.array([0]), 0, 2.0)
    assert abs(float(only0) - float(ref)) < 1e-6, (float(only0), float(ref))
    assert float(soft_label_loss(torch.zeros(4, 2), soft, idx, 4, 2.0)) == 0.0


def test_gate():
    rows = [{'label': 'live'}, {'label': 'live'}, {'label': 'spoof'}, {'label': 'spoof'}, {'label': 'live'}]
    table = np.array([[2, -1], [-1, 3], [0, 1], [4, 0], [np.nan, np.nan]], np.float32)
    gated = gate_soft_labels(table, rows)
    assert np.array_equal(gated[0], table[0]) and np.array_equal(gated[2], table[2]), gated
    assert np.all(np.isnan(gated[1])), 'a live row the teacher calls spoof kept its soft label'
    assert np.all(np.isnan(gated[3])), 'an attack the teacher calls live kept its soft label'
    assert np.all(np.isnan(gated[4])) and np.isfinite(table[0, 0]), 'gating changed its input or invented a label'


if __name__ == '__main__':
    test_table()
    test_gate()
    test_loss()
    print('OK soft labels')
