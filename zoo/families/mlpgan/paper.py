"""The paper this family comes from, as plain data (``gan-zoo card`` cites it in the Markdown model card)."""

PAPERS = [
    {
        "type": "inproceedings",
        "key": "goodfellow2014generative",
        "title": "Generative Adversarial Nets",
        "author": "Goodfellow, Ian and Pouget-Abadie, Jean and Mirza, Mehdi and Xu, Bing and Warde-Farley, David "
                  "and Ozair, Sherjil and Courville, Aaron and Bengio, Yoshua",
        "booktitle": "Advances in Neural Information Processing Systems 27 (NIPS 2014)",
        "year": 2014,
        "url": "https://arxiv.org/abs/1406.2661",
    },
]
