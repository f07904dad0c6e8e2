"""The semantic diff stage: what a commit changed in the code's own terms (symbols, values,
behaviour, what a user meets, tests), read off syntax trees of each changed file's two blobs."""
