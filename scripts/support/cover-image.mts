import jpeg from 'jpeg-js';
import {seededRandom} from '../../lib/seeded-random.js';

/*
 * Draws the lesson's stand-in for the chapter's cover3.jpg: a lake at sunset with layered hazy
 * mountains and pines, computed pixel by pixel from a few formulas, and encodes it as a baseline JPEG
 * padded with comment segments to exactly the original's byte count (so the lesson's numbers hold).
 * Everything is deterministic: the only "randomness" is an integer hash and a fixed-seed PRNG.
 */

/** The byte size of the chapter's cover3.jpg, which the lesson's download counts are compared to. */
export const COVER_BYTES = 70057;
export const COVER_WIDTH = 640;
export const COVER_HEIGHT = 480;
/** The highest quality tried: its output sits well below COVER_BYTES, so padding can make up the rest. */
export const COVER_QUALITY = 88;

const COMMENT_TEXT = "Original picture drawn by scripts/make-image.mts for the py4e TypeScript lesson kit; padded with this comment to 70057 bytes, the size of the chapter's cover3.jpg. ";

type Rgb = [number, number, number];

export interface EncodedCover {
	/** The JPEG as jpeg-js wrote it, before padding. */
	readonly encoded: Buffer;
	readonly quality: number;
}

/** The finished file: the drawing, encoded and padded to exactly COVER_BYTES. */
export function makeCoverJpeg(): Buffer {
	return padWithComments(encodeCover().encoded, COVER_BYTES);
}

/**
 * Encodes at COVER_QUALITY, stepping the quality down in the (unlikely) cases where the output is too
 * big or leaves 1-3 bytes of padding, which no comment segment (4 bytes at least) can fill.
 */
export function encodeCover(): EncodedCover {
	const rgba = drawCover();
	for (let quality = COVER_QUALITY; quality > 0; quality--) {
		const encoded = jpeg.encode({data: rgba, width: COVER_WIDTH, height: COVER_HEIGHT}, quality).data;
		const padding = COVER_BYTES - encoded.length;
		if (padding === 0 || padding >= MIN_COMMENT_SEGMENT) return {encoded, quality};
	}
	throw new Error(`the cover does not fit in ${COVER_BYTES} bytes at any quality`);
}

// --- padding ---------------------------------------------------------------------------------------

/** A COM segment is the marker (2 bytes) plus a length field (2 bytes) that counts itself and the payload. */
const MIN_COMMENT_SEGMENT = 4;
const MAX_COMMENT_SEGMENT = 2 + 0xffff;

/**
 * Inserts COM segments after the APP0 (JFIF) segment, which JFIF requires to come right after SOI,
 * so that the file grows to exactly targetBytes. Decoders skip comments, so the picture is unchanged.
 */
export function padWithComments(jpegBytes: Buffer, targetBytes: number): Buffer {
	const padding = targetBytes - jpegBytes.length;
	if (padding === 0) return jpegBytes;
	if (padding < MIN_COMMENT_SEGMENT) throw new RangeError(`cannot pad a JPEG by ${padding} bytes`);
	if (jpegBytes.readUInt16BE(0) !== 0xffd8 || jpegBytes.readUInt16BE(2) !== 0xffe0) {
		throw new Error('expected a JFIF file: SOI followed by APP0');
	}
	const afterApp0 = 4 + jpegBytes.readUInt16BE(4);
	// Spread the padding evenly, so no segment drops below the minimum when several are needed.
	const segmentCount = Math.ceil(padding / MAX_COMMENT_SEGMENT);
	const segments: Buffer[] = [];
	for (let index = 0; index < segmentCount; index++) {
		const segmentBytes = Math.floor(padding / segmentCount) + (index < padding % segmentCount ? 1 : 0);
		segments.push(commentSegment(segmentBytes - MIN_COMMENT_SEGMENT));
	}
	return Buffer.concat([jpegBytes.subarray(0, afterApp0), ...segments, jpegBytes.subarray(afterApp0)]);
}

function commentSegment(payloadBytes: number): Buffer {
	const text = COMMENT_TEXT.repeat(Math.ceil(payloadBytes / COMMENT_TEXT.length)).slice(0, payloadBytes);
	const segment = Buffer.alloc(MIN_COMMENT_SEGMENT + payloadBytes);
	segment.writeUInt16BE(0xfffe, 0);
	segment.writeUInt16BE(2 + payloadBytes, 2);
	segment.write(text, MIN_COMMENT_SEGMENT, 'ascii');
	return segment;
}

// --- drawing ---------------------------------------------------------------------------------------

const HORIZON_Y = 300;
const SUN = {x: 448, y: 196, radius: 26};
/** Samples per pixel along each axis: 3x3 supersampling smooths every hard edge in the scene. */
const SUPERSAMPLE = 3;
/** Film grain amplitude (in 0..1 units): hides gradient banding and gives the encoder some texture. */
const GRAIN = 0.018;

/** Returns RGBA pixels, the layout jpeg-js's encoder expects. */
export function drawCover(): Uint8Array {
	const rgba = new Uint8Array(COVER_WIDTH * COVER_HEIGHT * 4);
	const samples = SUPERSAMPLE * SUPERSAMPLE;
	for (let py = 0; py < COVER_HEIGHT; py++) {
		for (let px = 0; px < COVER_WIDTH; px++) {
			let r = 0;
			let g = 0;
			let b = 0;
			for (let sy = 0; sy < SUPERSAMPLE; sy++) {
				for (let sx = 0; sx < SUPERSAMPLE; sx++) {
					const [sr, sg, sb] = scene(px + (sx + 0.5) / SUPERSAMPLE, py + (sy + 0.5) / SUPERSAMPLE);
					r += sr;
					g += sg;
					b += sb;
				}
			}
			const shade = vignette(px, py);
			const grain = (hash2(px, py + 7919) - 0.5) * GRAIN;
			const offset = (py * COVER_WIDTH + px) * 4;
			rgba[offset] = toByte((r / samples) * shade + grain);
			rgba[offset + 1] = toByte((g / samples) * shade + grain);
			rgba[offset + 2] = toByte((b / samples) * shade + grain);
			rgba[offset + 3] = 255;
		}
	}
	return rgba;
}

function scene(x: number, y: number): Rgb {
	return y < HORIZON_Y ? land(x, y, true) : water(x, y);
}

/**
 * Everything above the waterline: sky, sun, birds, mountain layers, and the pine-covered shore.
 * The water leaves out the sun's disc: a mirrored disc looks pasted on, the glitter path reads better.
 */
function land(x: number, y: number, withSunDisc: boolean): Rgb {
	if (insideShore(x, y)) return shoreColor(x, y);
	for (let index = MOUNTAINS.length - 1; index >= 0; index--) {
		const mountain = MOUNTAINS[index]!;
		const depth = y - ridgeY(mountain, x);
		if (depth >= 0) return mountainColor(mountain, x, y, depth);
	}
	return sky(x, y, withSunDisc);
}

// --- sky -------------------------------------------------------------------------------------------

const SKY_STOPS: ReadonlyArray<readonly [number, Rgb]> = [
	[0.0, hex('#121a3a')],
	[0.3, hex('#34396e')],
	[0.58, hex('#8d5a8c')],
	[0.78, hex('#e0846f')],
	[0.92, hex('#f8b27a')],
	[1.0, hex('#fdd9a4')],
];
const GLOW = hex('#ffc98a');
const SUN_DISC = hex('#fff6e0');
const BIRD = hex('#231c33');

function sky(x: number, y: number, withSunDisc: boolean): Rgb {
	let color = add(gradient(SKY_STOPS, y / HORIZON_Y), scale(GLOW, sunGlow(x, y)));
	if (withSunDisc) {
		const distance = Math.hypot(x - SUN.x, y - SUN.y);
		color = mix(color, SUN_DISC, smoothstep(SUN.radius + 0.8, SUN.radius - 0.8, distance));
	}
	color = mix(color, SKY_STOPS[1]![1], 0.35 * bandOfCloud(x, y));
	const starlight = starAt(x, y);
	if (starlight > 0) color = mix(color, SUN_DISC, starlight);
	if (insideBird(x, y)) return BIRD;
	return color;
}

/** Two falloffs: a tight halo around the disc and a broad warm wash over that part of the sky. */
function sunGlow(x: number, y: number): number {
	const distance = Math.hypot(x - SUN.x, (y - SUN.y) * 1.15);
	return 0.6 * Math.exp(-distance / 38) + 0.3 * Math.exp(-distance / 170);
}

/** Thin streaks of cloud, stretched horizontally, only in a band above the sun. */
function bandOfCloud(x: number, y: number): number {
	const band = smoothstep(95, 135, y) * smoothstep(195, 150, y);
	const streaks = fbm2(x / 140, y / 9, 4);
	return band * smoothstep(0.52, 0.72, streaks);
}

/** A sparse, faint star field that fades out as the sky warms toward the horizon. */
function starAt(x: number, y: number): number {
	const cellX = Math.floor(x / 2);
	const cellY = Math.floor(y / 2);
	const chance = hash2(cellX + 3001, cellY + 17);
	if (chance < 0.9988) return 0;
	return (1 - smoothstep(20, 120, y)) * (0.35 + 0.65 * hash2(cellX, cellY + 101));
}

interface Bird {
	readonly x: number;
	readonly y: number;
	readonly span: number;
}

const BIRDS: readonly Bird[] = [
	{x: 262, y: 112, span: 11},
	{x: 291, y: 128, span: 8},
	{x: 240, y: 134, span: 7},
	{x: 312, y: 104, span: 6},
];

/** A gull seen from afar: two wings, each an arch that tapers toward its tip. */
function insideBird(x: number, y: number): boolean {
	for (const bird of BIRDS) {
		const u = (x - bird.x) / bird.span;
		if (Math.abs(u) > 1) continue;
		const wingY = bird.y - bird.span * 0.32 * Math.sin(Math.PI * Math.abs(u));
		const thickness = bird.span * 0.11 * (1 - 0.8 * Math.abs(u)) + 0.35;
		if (Math.abs(y - wingY) < thickness) return true;
	}
	return false;
}

// --- mountains -------------------------------------------------------------------------------------

/** One range of mountains, drawn as a silhouette below a noisy ridge line. */
interface MountainLayer {
	/** The ridge line's lowest y; peaks rise up to `amplitude` pixels above it. */
	readonly baseY: number;
	readonly amplitude: number;
	/** Horizontal scale of the noise, in pixels: shorter means busier, nearer-looking ridges. */
	readonly wavelength: number;
	readonly seed: number;
	/** How far the layer's color is mixed from night toward the haze: farther layers are paler. */
	readonly haze: number;
	/** How much the layer fades into the haze at its foot, which is what makes the layers read as depth. */
	readonly mist: number;
}

interface Mountain extends MountainLayer {
	readonly color: Rgb;
	/** Ridge heights precomputed at 1/RIDGE_STEPS pixel: the noise is too slow to evaluate per sample. */
	readonly ridge: Float64Array;
}

const RIDGE_STEPS = 4;
const RIDGE_MARGIN = 64;
const HAZE = hex('#e9a0a2');
const NIGHT = hex('#211a46');

const MOUNTAINS: readonly Mountain[] = [
	mountain({baseY: 252, amplitude: 100, wavelength: 210, seed: 11, haze: 0.56, mist: 0.7}),
	mountain({baseY: 268, amplitude: 70, wavelength: 150, seed: 23, haze: 0.36, mist: 0.6}),
	mountain({baseY: 286, amplitude: 44, wavelength: 95, seed: 37, haze: 0.18, mist: 0.5}),
];

function mountain(layer: MountainLayer): Mountain {
	const ridge = new Float64Array((COVER_WIDTH + 2 * RIDGE_MARGIN) * RIDGE_STEPS + 1);
	for (let index = 0; index < ridge.length; index++) {
		const x = index / RIDGE_STEPS - RIDGE_MARGIN;
		const t = x / layer.wavelength + layer.seed * 17.3;
		// Rounded hills (fbm) mixed with sharp crests (ridged noise) look more like real ranges than either.
		const height = smoothstep(0.25, 0.8, 0.55 * fbm1(t, 5) + 0.45 * ridged1(t * 0.7, 5));
		// Lower the ranges behind the sun, so it sets into a wide valley instead of behind a peak.
		const valley = 1 - 0.55 * Math.exp(-(((x - SUN.x) / 110) ** 2));
		ridge[index] = layer.baseY - layer.amplitude * height * valley;
	}
	return {...layer, color: mix(NIGHT, HAZE, layer.haze), ridge};
}

function ridgeY(mountain: Mountain, x: number): number {
	const position = (Math.min(Math.max(x, -RIDGE_MARGIN), COVER_WIDTH + RIDGE_MARGIN) + RIDGE_MARGIN) * RIDGE_STEPS;
	const index = Math.min(Math.floor(position), mountain.ridge.length - 2);
	const fraction = position - index;
	return mountain.ridge[index]! * (1 - fraction) + mountain.ridge[index + 1]! * fraction;
}

function mountainColor(mountain: Mountain, x: number, y: number, depth: number): Rgb {
	const foot = HORIZON_Y - ridgeY(mountain, x);
	// Hazier (farther) layers scatter more of the sun's glow toward us.
	let color = add(mountain.color, scale(GLOW, sunGlow(x, y) * mountain.mist * 0.55));
	// The backlit rim: a bright edge on the crest, strongest near the sun.
	const nearSun = Math.exp(-Math.abs(x - SUN.x) / 160);
	color = mix(color, GLOW, Math.exp(-depth / 1.6) * (0.15 + 0.6 * nearSun) * (0.4 + mountain.mist * 0.6));
	return mix(color, HAZE, mountain.mist * smoothstep(0, Math.max(foot, 1) * 1.1, depth) ** 1.6);
}

// --- shore and pines -------------------------------------------------------------------------------

const SHORE_COLOR = hex('#16122a');

interface Pine {
	readonly x: number;
	readonly baseY: number;
	readonly height: number;
	readonly halfWidth: number;
	readonly tiers: number;
}

/** The near hill on the left, sloping down into the water. */
function shoreY(x: number): number {
	const rise = (1 - smoothstep(-40, 300, x)) ** 1.4;
	return HORIZON_Y + 2 - 78 * rise - 6 * fbm1(x / 45 + 91, 3) * rise;
}

const PINES: readonly Pine[] = plantPines();

function plantPines(): Pine[] {
	const random = seededRandom(20240607);
	const pines: Pine[] = [];
	// Only where the hill still stands clear of the water (it meets the water at about x = 230).
	for (let x = -6; x < 228; x += 9 + random() * 16) {
		const sizeByPlace = 1 - smoothstep(0, 260, x) * 0.55;
		const height = (46 + random() * 48) * sizeByPlace;
		pines.push({x, baseY: shoreY(x) + 6, height, halfWidth: height * (0.2 + random() * 0.05), tiers: 5 + Math.floor(random() * 3)});
	}
	return pines;
}

function insideShore(x: number, y: number): boolean {
	if (y >= shoreY(x)) return true;
	for (const pine of PINES) {
		if (Math.abs(x - pine.x) > pine.halfWidth) continue;
		const top = pine.baseY - pine.height;
		const u = (y - top) / pine.height;
		if (u < 0 || u > 1) continue;
		// Each tier of branches starts narrow and flares out: a sawtooth on top of the overall cone.
		const tier = (u * pine.tiers) % 1;
		const halfWidth = pine.halfWidth * (0.08 + 0.92 * u) * (0.5 + 0.5 * tier) + (u > 0.85 ? 1.2 : 0);
		if (Math.abs(x - pine.x) < halfWidth) return true;
	}
	return false;
}

function shoreColor(x: number, y: number): Rgb {
	// The far edge of the pines picks up a touch of the haze, so the silhouette is not flat black.
	const nearSun = Math.exp(-Math.abs(x - SUN.x) / 260);
	return mix(SHORE_COLOR, HAZE, 0.06 + 0.1 * nearSun * smoothstep(HORIZON_Y, HORIZON_Y - 120, y));
}

// --- water -----------------------------------------------------------------------------------------

const DEEP_WATER = hex('#1d2448');

/** The mirrored scene, broken up by ripples that grow toward the viewer, plus the sun's glitter path. */
function water(x: number, y: number): Rgb {
	const nearness = (y - HORIZON_Y) / (COVER_HEIGHT - HORIZON_Y);
	const rippleX = (valueNoise2(x / 70, y / 2.2) - 0.5) * (2 + 26 * nearness);
	const rippleY = (valueNoise2(x / 40 + 50, y / 1.6) - 0.5) * (1 + 6 * nearness);
	const mirroredY = Math.min(2 * HORIZON_Y - y + rippleY, HORIZON_Y - 0.01);
	let color = land(x + rippleX, mirroredY, false);
	// Water reflects a bit less than everything, a bit less red than blue, and darkens toward the viewer.
	color = mix([color[0] * 0.84, color[1] * 0.84, color[2] * 0.9], DEEP_WATER, 0.1 + 0.5 * nearness);
	// Glitter under the sun: short horizontal dashes in a path that widens toward the viewer.
	const path = Math.exp(-(((x - SUN.x) / (14 + 90 * nearness)) ** 2));
	const dashes = smoothstep(0.58, 0.78, valueNoise2(x / (5 + 12 * nearness), y / (0.9 + 1.5 * nearness) + 300));
	color = add(color, scale(GLOW, path * dashes * (0.9 - 0.4 * nearness)));
	// A thin bright line where the water meets the far shore.
	return add(color, scale(GLOW, 0.22 * Math.exp(-(y - HORIZON_Y) / 1.2)));
}

function vignette(x: number, y: number): number {
	const dx = x / COVER_WIDTH - 0.5;
	const dy = y / COVER_HEIGHT - 0.5;
	return 1 - 0.55 * (dx * dx + dy * dy);
}

// --- noise and color helpers -----------------------------------------------------------------------

/** A well-mixed integer hash of a lattice point, in [0, 1): the source of all the scene's variety. */
function hash2(ix: number, iy: number): number {
	let h = Math.imul(ix | 0, 0x27d4eb2d) ^ Math.imul(iy | 0, 0x165667b1) ^ 0x5bd1e995;
	h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
	h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
	return ((h ^ (h >>> 15)) >>> 0) / 4294967296;
}

/** Smoothly interpolated lattice noise in [0, 1). */
function valueNoise2(x: number, y: number): number {
	const ix = Math.floor(x);
	const iy = Math.floor(y);
	const fx = x - ix;
	const fy = y - iy;
	const sx = fx * fx * (3 - 2 * fx);
	const sy = fy * fy * (3 - 2 * fy);
	const top = hash2(ix, iy) * (1 - sx) + hash2(ix + 1, iy) * sx;
	const bottom = hash2(ix, iy + 1) * (1 - sx) + hash2(ix + 1, iy + 1) * sx;
	return top * (1 - sy) + bottom * sy;
}

/** Fractal noise: octaves of halving amplitude and doubling frequency, normalized to [0, 1). */
function fbm2(x: number, y: number, octaves: number): number {
	let sum = 0;
	let amplitude = 1;
	let total = 0;
	for (let octave = 0; octave < octaves; octave++) {
		sum += amplitude * valueNoise2(x * 2 ** octave, y * 2 ** octave + octave * 31);
		total += amplitude;
		amplitude /= 2;
	}
	return sum / total;
}

function fbm1(x: number, octaves: number): number {
	return fbm2(x, 0.5, octaves);
}

/** Like fbm1, but folded so that the middle of the noise range becomes a sharp crest. */
function ridged1(x: number, octaves: number): number {
	let sum = 0;
	let amplitude = 1;
	let total = 0;
	for (let octave = 0; octave < octaves; octave++) {
		const crest = 1 - Math.abs(2 * valueNoise2(x * 2 ** octave, 7.5 + octave * 13) - 1);
		sum += amplitude * crest * crest;
		total += amplitude;
		amplitude /= 2;
	}
	return sum / total;
}

function smoothstep(edge0: number, edge1: number, x: number): number {
	const t = Math.min(Math.max((x - edge0) / (edge1 - edge0), 0), 1);
	return t * t * (3 - 2 * t);
}

function gradient(stops: ReadonlyArray<readonly [number, Rgb]>, t: number): Rgb {
	for (let index = 1; index < stops.length; index++) {
		const [end, endColor] = stops[index]!;
		const [start, startColor] = stops[index - 1]!;
		if (t <= end) return mix(startColor, endColor, (t - start) / (end - start));
	}
	return stops[stops.length - 1]![1];
}

function hex(color: string): Rgb {
	const value = Number.parseInt(color.slice(1), 16);
	return [((value >> 16) & 255) / 255, ((value >> 8) & 255) / 255, (value & 255) / 255];
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
	return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

function add(a: Rgb, b: Rgb): Rgb {
	return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

function scale(color: Rgb, factor: number): Rgb {
	return [color[0] * factor, color[1] * factor, color[2] * factor];
}

function toByte(value: number): number {
	return Math.round(Math.min(Math.max(value, 0), 1) * 255);
}
