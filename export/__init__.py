"""Export layer (SavedModel, TF-Lite, ONNX): arrives with the export issue.

The model core (`zoo`) never imports this package.
"""
