import { type Classifier, createClassifier } from '../index.js';

/** Opens every named classifier (or the shipped one), closing those already open if one fails. */
export async function openClassifiers(models: readonly string[] | undefined, threads?: number): Promise<Classifier[]> {
  const names = models && models.length > 0 ? models : [undefined];
  const opened: Classifier[] = [];
  try {
    for (const model of names) opened.push(await createClassifier({ model, threads }));
  } catch (error) {
    await Promise.all(opened.map((classifier) => classifier.close()));
    throw error;
  }
  return opened;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
