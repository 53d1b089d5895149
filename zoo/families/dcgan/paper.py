"""The paper this family comes from, as plain data (``gan-zoo card`` cites it in the Markdown model card)."""

PAPERS = [
    {
        "type": "inproceedings",
        "key": "radford2016unsupervised",
        "title": "Unsupervised Representation Learning with Deep Convolutional Generative Adversarial Networks",
        "author": "Radford, Alec and Metz, Luke and Chintala, Soumith",
        "booktitle": "International Conference on Learning Representations (ICLR)",
        "year": 2016,
        "url": "https://arxiv.org/abs/1511.06434",
    },
]
