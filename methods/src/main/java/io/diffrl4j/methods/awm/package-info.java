/**
 * Advantage Weighted Matching ({@link io.diffrl4j.methods.awm.Awm}): the flow-matching loss on the
 * policy's own samples, weighted by their advantages and a time weighting, on-policy, with a KL to
 * the pretrained model and one to an EMA of the policy.
 */
package io.diffrl4j.methods.awm;
