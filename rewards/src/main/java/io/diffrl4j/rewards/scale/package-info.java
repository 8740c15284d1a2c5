/**
 * A reward put on another scale by a fixed map, for methods whose settings assume rewards in
 * [0, 1] as GenEval, OCR and preference scores are (CRD's reward-adaptive KL strength, GARDO's
 * unnormalised advantages): {@link io.diffrl4j.rewards.scale.UnitIntervalReward}.
 */
package io.diffrl4j.rewards.scale;
