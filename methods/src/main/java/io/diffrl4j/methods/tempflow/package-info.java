/**
 * TempFlow-GRPO ({@link io.diffrl4j.methods.tempflow.TempFlowGrpo}): Flow-GRPO whose groups branch
 * from one shared deterministic trajectory at a single SDE step, credited by their own final
 * rewards, with each step's loss weighted by its noise.
 */
package io.diffrl4j.methods.tempflow;
