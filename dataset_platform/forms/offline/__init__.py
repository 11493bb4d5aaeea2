"""The ``offline`` extraction model: handwritten ECT count forms read on CPU, nothing downloaded.

Printed labels and the ruled table locate the fields (`layout`, `page`); the PP-OCR recogniser
bundled in the rapidocr wheel reads the handwritten digits on crops (`recognise`); the form's own
arithmetic verifies the readings and may fill one missing term (`arithmetic`, `assemble`).
"""
