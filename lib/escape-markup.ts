/**
 * Text made safe inside HTML or XML, text and attribute values alike: & < > " ' as character references.
 * In lib/ so that the replica's error pages and the scripts' pages, tables and reports escape alike.
 */
export function escapeMarkup(text: string): string {
	return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
