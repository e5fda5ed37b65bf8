/** Resolves at the next decoded video frame (requestVideoFrameCallback), or the next animation frame with a new time. */
export function nextVideoFrame(video: HTMLVideoElement, lastTime: number): Promise<number> {
  if (typeof video.requestVideoFrameCallback === 'function')
    return new Promise((resolve) => video.requestVideoFrameCallback((_now, meta) => resolve(meta.mediaTime)));
  return new Promise((resolve) => {
    const poll = () => (video.currentTime !== lastTime ? resolve(video.currentTime) : requestAnimationFrame(poll));
    requestAnimationFrame(poll);
  });
}
