"""The papers this family comes from, as plain data (``gan-zoo card`` cites them in the Markdown model card):
the architecture first, then the loss it trains with (WGAN-GP)."""

PAPERS = [
    {
        "type": "inproceedings",
        "key": "karras2018progressive",
        "title": "Progressive Growing of GANs for Improved Quality, Stability, and Variation",
        "author": "Karras, Tero and Aila, Timo and Laine, Samuli and Lehtinen, Jaakko",
        "booktitle": "International Conference on Learning Representations (ICLR)",
        "year": 2018,
        "url": "https://arxiv.org/abs/1710.10196",
    },
    {
        "type": "inproceedings",
        "key": "gulrajani2017improved",
        "title": "Improved Training of Wasserstein GANs",
        "author": "Gulrajani, Ishaan and Ahmed, Faruk and Arjovsky, Martin and Dumoulin, Vincent "
                  "and Courville, Aaron",
        "booktitle": "Advances in Neural Information Processing Systems 30 (NIPS 2017)",
        "year": 2017,
        "url": "https://arxiv.org/abs/1704.00028",
    },
]
