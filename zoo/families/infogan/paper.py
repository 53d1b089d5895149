"""The paper this family comes from, as plain data (``gan-zoo card`` cites it in the Markdown model card)."""

PAPERS = [
    {
        "type": "inproceedings",
        "key": "chen2016infogan",
        "title": "InfoGAN: Interpretable Representation Learning by Information Maximizing Generative "
                 "Adversarial Nets",
        "author": "Chen, Xi and Duan, Yan and Houthooft, Rein and Schulman, John and Sutskever, Ilya "
                  "and Abbeel, Pieter",
        "booktitle": "Advances in Neural Information Processing Systems 29 (NIPS 2016)",
        "year": 2016,
        "url": "https://arxiv.org/abs/1606.03657",
    },
]
