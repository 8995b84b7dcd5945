"""Small, explicit adapters between the tutorial's eras and the releases the matrix runs.

Scripts import what they use by name; nothing here patches torch or TensorFlow on import.

- ``shims.flags``: the shared command line (``--steps --seed --device --log-every``) of the legacy
  variants, seeding, and the ``--device cuda`` refusal (exit status 69); the tensor_autograd and
  modern variants carry the same lines inline.
- ``shims.torch_legacy``: PyTorch 0.1-0.3 idioms (``loss.data[0]``, non-static autograd Functions,
  ``size_average=``, ``volatile=``, zeroing a ``.grad`` that is still None) on torch 1.7 ... 2.x.
- ``shims.tf1``: TensorFlow 1 graph code (placeholders, ``Session``) on TensorFlow 2.
- ``shims.upgrade``: ``python -m shims upgrade PATH...`` / ``python -m shims run SCRIPT`` for people's own
  2017-2018 scripts (rules per catalog entry; needs LibCST, imported only by those commands).
"""
