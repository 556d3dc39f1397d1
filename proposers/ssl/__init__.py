"""Oracle-grounded self-supervision (SPEC-8) over the network host graph.

The learners here train only the graph encoder's representation, never a proposer's decoder;
they read the oracle only through the data they are handed (true successors, exact negatives,
counterfactual branches), so the judge's metrics stay untouched.

    graphs      featurized graphs as tensors, batched by edge lists (linear in edges)
    encoder     the message-passing encoder (the graph arm's rounds), the predictor, embed_all
    learner     the config core, seeded set-up and fixed-step loop both learners share
    objectives  VICReg on one batch, InfoNCE over exact negatives
    readouts    embedding std, effective rank, interventional top-1 / MRR
    jepa        EN8: JEPA with an EMA+VICReg or an oracle-anchored target, machinery on/off
    contrastive EN9: none / VICReg / oracle InfoNCE with k exact negatives
"""
