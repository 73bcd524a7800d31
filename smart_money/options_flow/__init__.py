"""Options-flow smart money: who is behind unusual options activity, read from the public tape.

Rules first: parent events reconstructed from child prints, typed features, six profiles with probabilities,
reason codes and abstention. No supervised training and no claims about who the owner is (README: Options
flow).
"""
