"""The papers this family comes from, as plain data (``gan-zoo card`` cites them in the Markdown model card):
the architecture first, then its R1 regulariser."""

PAPERS = [
    {
        "type": "inproceedings",
        "key": "karras2019style",
        "title": "A Style-Based Generator Architecture for Generative Adversarial Networks",
        "author": "Karras, Tero and Laine, Samuli and Aila, Timo",
        "booktitle": "IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
        "year": 2019,
        "url": "https://arxiv.org/abs/1812.04948",
    },
    {
        "type": "inproceedings",
        "key": "mescheder2018training",
        "title": "Which Training Methods for GANs do actually Converge?",
        "author": "Mescheder, Lars and Geiger, Andreas and Nowozin, Sebastian",
        "booktitle": "International Conference on Machine Learning (ICML)",
        "year": 2018,
        "url": "https://arxiv.org/abs/1801.04406",
    },
]
