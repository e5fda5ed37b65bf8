import { cropFace } from '../crop/crop.js';
import type { Box, RgbImage } from '../types.js';
import { viewScales } from './card.js';
import type { Classifier } from './classifier.js';
import { fuseMemberScores, isEnsembleCard } from './ensemble.js';

/** P(live) of each face, and for an ensemble each member's own P(live) of the same faces (members in card order). */
export interface FaceScores {
  scores: number[];
  /** Empty for a single network. */
  members: Array<{ name: string; modelFile: string; scores: number[] }>;
}

/**
 * P(live) of each face box in an image. One network: cropped as its card says (one crop per view), all crops in one
 * classifier call, each face's score the mean over its views. An ensemble: every member scores the same boxes with its
 * own crop, and the members' P(live) are fused as the ensemble card says.
 */
export async function scoreFaces(classifier: Classifier, image: RgbImage, boxes: readonly Box[]): Promise<number[]> {
  return (await scoreFacesWithMembers(classifier, image, boxes)).scores;
}

/** scoreFaces, keeping each ensemble member's P(live) (`antispoof eval --scores` writes them). */
export async function scoreFacesWithMembers(
  classifier: Classifier,
  image: RgbImage,
  boxes: readonly Box[],
): Promise<FaceScores> {
  const { card } = classifier;
  if (isEnsembleCard(card)) {
    const members: FaceScores['members'] = [];
    // One member at a time: each holds its own session, and the cores are the pool's to spread, not ours.
    for (const member of classifier.members ?? [])
      members.push({
        name: member.card.name,
        modelFile: member.modelFile,
        scores: await scoreFaces(member, image, boxes),
      });
    return {
      scores: fuseMemberScores(
        card,
        members.map((member) => member.scores),
      ),
      members,
    };
  }
  const scales = viewScales(card);
  const { size } = card.input;
  const { mode } = card.crop;
  const crops = boxes.flatMap((box) => scales.map((cropScale) => cropFace(image, box, { cropScale, size, mode })));
  const scores = await classifier.classify(crops);
  return {
    scores: boxes.map((_, face) => {
      let sum = 0;
      for (let view = 0; view < scales.length; view++) sum += scores[face * scales.length + view]!;
      return sum / scales.length;
    }),
    members: [],
  };
}
