"""Plausible French names for the demo city: streets, buildings, makers and models."""

from __future__ import annotations

import numpy as np

PEOPLE = (
    "Victor Hugo", "Jean Jaurès", "Pasteur", "Gambetta", "Jean Moulin", "Émile Zola", "Voltaire",
    "Jules Ferry", "Paul Bert", "Carnot", "Anatole France", "Georges Clemenceau", "Charles de Gaulle",
    "Maréchal Leclerc", "Général Delaune", "Jean Macé", "Condorcet", "Louis Blériot", "Marie Curie",
    "Pierre Curie", "Alsace-Lorraine", "Albert Camus", "Jean Monnet", "Robert Schuman", "Gustave Eiffel",
    "Henri Dunant", "Lamartine", "Alfred de Musset", "George Sand", "Colette", "Claude Debussy",
    "Hector Berlioz", "Jean-Philippe Rameau", "Gaston Bachelard", "Bossuet", "Buffon", "Vauban",
    "Sadi Carnot", "Jean-Baptiste Lully", "Henri Vincenot", "Alexis Piron", "François Rude", "Darcy",
    "Chanoine Kir", "Docteur Roux", "Docteur Calmette", "Président Wilson", "Abbé Pierre", "Jean Bouhey",
    "Gustave Courbet", "Eugène Delacroix", "Claude Monet", "Auguste Renoir", "Paul Cézanne",
    "Antoine de Saint-Exupéry", "Jules Verne", "Alexandre Dumas", "Honoré de Balzac", "Stendhal",
    "Molière", "Racine", "Corneille", "La Fontaine", "Montesquieu", "Rousseau", "Diderot", "Descartes",
    "Blaise Pascal", "Louis Braille", "Jean Giono", "Marcel Pagnol", "Guy de Maupassant",
    "Gustave Flaubert", "Paul Verlaine", "Arthur Rimbaud", "Charles Baudelaire", "Frédéric Mistral",
    "Edmond Rostand", "Léon Blum", "Pierre Mendès France", "Aristide Briand", "Jean Zay",
    "Lucie Aubrac", "Simone Veil", "Louise Michel", "Olympe de Gouges", "Camille Claudel",
    "Édith Piaf", "Joséphine Baker", "Germaine Tillion", "Geneviève de Gaulle", "Irène Joliot-Curie",
    "Nicéphore Niépce", "Gaspard Monge", "Lazare Carnot", "Saint-Bernard", "Sainte-Anne", "Saint-Michel",
    "Saint-Nicolas", "Saint-Pierre", "Saint-Martin", "Saint-Jacques", "Saint-Exupéry", "Jeanne d'Arc",
    "Jean Bart", "Surcouf", "Lafayette", "Kléber", "Hoche", "Marceau", "Joffre", "Foch", "Pétrarque",
    "Mozart", "Chopin", "Ravel", "Bizet", "Gounod", "Offenbach", "Rameau", "Marcel Proust", "Paul Éluard",
    "Louis Aragon", "Jacques Prévert", "Boris Vian", "Romain Rolland", "Charles Péguy", "Max Jacob",
)
PLACES = (
    "de la République", "de la Liberté", "de la Paix", "de la Gare", "de l'Église", "de la Mairie",
    "du Moulin", "des Écoles", "du Stade", "du Château", "de la Fontaine", "des Tilleuls", "des Lilas",
    "des Roses", "des Acacias", "des Platanes", "des Marronniers", "des Peupliers", "des Chênes",
    "des Érables", "des Saules", "des Vignes", "des Vergers", "des Prés", "des Champs", "de la Combe",
    "du Lavoir", "du Puits", "de la Croix", "du Pressoir", "de la Côte", "des Coteaux", "du Canal",
    "de l'Ouche", "de la Tille", "du Suzon", "des Carrières", "de la Forêt", "du Bois", "des Jardins",
    "des Cerisiers", "des Noyers", "des Pommiers", "du Parc", "de la Source", "des Genêts",
    "des Bleuets", "des Coquelicots", "des Violettes", "des Mésanges", "des Hirondelles", "des Alouettes",
    "du Clos", "de la Prairie", "des Longènes", "des Perrières", "des Grandes Vignes", "de Mirande",
    "de Talant", "de Plombières", "de Chevigny", "de Longvic", "de Langres", "de Gray", "d'Auxonne",
    "de Beaune", "de Paris", "de Troyes", "de Mulhouse", "de Stalingrad", "du 8 Mai 1945",
    "du 11 Novembre", "du 14 Juillet", "du 19 Mars 1962", "de la Libération", "de l'Europe", "des Allobroges",
    "des Ducs de Bourgogne", "du Drapeau", "des Godrans", "de la Préfecture", "du Transvaal", "des Marcs d'Or",
    "de la Charme", "des Valendons", "de la Toison d'Or", "des Grésilles", "de Montmuzard", "du Creux d'Enfer",
)
STREET_TYPES = {
    "primary": (("Avenue", 5), ("Boulevard", 4), ("Rue", 1)),
    "secondary": (("Rue", 6), ("Avenue", 3), ("Chemin", 1)),
    "residential": (("Rue", 10), ("Allée", 3), ("Impasse", 1), ("Chemin", 2), ("Passage", 1), ("Square", 1)),
}

LED_MODELS = (  # (manufacturer, model, luminaire_type, weight)
    ("Schréder", "Teceo 1", "street", 6), ("Schréder", "Ampera Midi", "street", 5),
    ("Schréder", "Piano", "street", 3), ("Signify", "Luma Gen2", "street", 5),
    ("Signify", "ClearWay gen2", "street", 3), ("Thorn", "Isaro Pro", "street", 3),
    ("Comatelec", "Yoa", "street", 2), ("Eclatec", "Kaos 2", "lantern", 3),
    ("Ragni", "Mirage", "lantern", 2), ("Signify", "CitySoul gen2", "lantern", 2),
    ("Comatelec", "Hestia", "lantern", 2), ("Eclatec", "Aria", "bollard", 1),
    ("Schréder", "Neos 2", "floodlight", 1), ("Thorn", "Oxane", "recessed", 1),
)
LEGACY_MODELS = (
    ("Philips", "Iridium SGS253", "street", 5), ("Comatelec", "Quartz 2", "street", 3),
    ("Thorn", "Oyster", "street", 2), ("Eclatec", "Ovoide", "lantern", 2),
    ("Philips", "Malaga SGS102", "street", 3),
)
POLE_MAKERS = (("Petitjean", "Cylindro-conique"), ("Valmont", "Ténor"), ("Sermeto", "Mât galva"),
               ("Petitjean", "Octogonal"))
CABINET_MAKERS = (("Legrand", "XL³ 400"), ("Schneider Electric", "Prisma G"), ("Citel", "Armoire EP"),
                  ("Hager", "Quadro 4"))
CONTROLLER_MAKERS = (("Aximum", "CAPTAN"), ("Dynniq", "ACT"), ("Lacroix City", "Traffy"))
CAMERA_MAKERS = {"fixed": (("Axis", "Q1715"), ("Bosch", "Dinion 5100i"), ("Hanwha", "XNO-8080R")),
                 "ptz": (("Axis", "Q6135-LE"), ("Bosch", "Autodome 7100i"), ("Hanwha", "XNP-6400RW"))}
SENSOR_MAKERS = {"noise": ("Bruitparif", "Méduse"), "air": ("Ellona", "WT1"),
                 "temperature": ("Adeunis", "Temp 4")}
VEHICLES = (  # (vehicle_type, manufacturer, model, weight)
    ("car", "Renault", "Zoe", 3), ("car", "Peugeot", "e-208", 2), ("van", "Renault", "Kangoo E-Tech", 6),
    ("van", "Citroën", "Berlingo", 4), ("van", "Renault", "Master", 3), ("utility", "Goupil", "G6", 3),
    ("utility", "Piaggio", "Porter NP6", 2), ("truck", "Renault Trucks", "D Wide", 2),
    ("truck", "Iveco", "Daily 7.2 t", 2), ("bucket_truck", "Renault", "Master nacelle Klubb K32", 3),
    ("sweeper", "Bucher", "CityCat 5006", 2),
)
BUILDINGS = {  # use -> (count, name prefixes)
    "town_hall": (0, ("Mairie",)),  # one per commune, added by the generator
    "school": (72, ("École élémentaire", "École maternelle", "Groupe scolaire", "Collège")),
    "sports": (26, ("Gymnase", "Piscine", "Stade", "Salle de sport")),
    "culture": (22, ("Médiathèque", "Salle des fêtes", "Conservatoire", "Musée", "Théâtre")),
    "offices": (16, ("Services techniques", "Hôtel de métropole", "Maison des services", "Centre administratif")),
    "technical": (10, ("Centre technique municipal", "Atelier municipal", "Serres municipales")),
    "other": (11, ("Maison de quartier", "Centre social", "Crèche", "Foyer")),
}


def of(name: str) -> str:
    """French 'de' before a place name, elided before a vowel: 'de Talant', "d'Ahuy"."""
    return f"d'{name}" if name[:1].upper() in "AEIOUÉÈÊ" else f"de {name}"


def weighted_pick(rng: np.random.Generator, options: tuple, n: int) -> np.ndarray:
    """``n`` indices into ``options`` whose last item is a weight."""
    weights = np.array([o[-1] for o in options], dtype=float)
    return rng.choice(len(options), size=n, p=weights / weights.sum())


class StreetNamer:
    """Hands out street names unique within each commune, in a deterministic order."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: dict[str, set[str]] = {}
        self.names = np.array(PEOPLE + PLACES, dtype=object)
        self.rural_counter: dict[str, int] = {}

    def name(self, commune: str, street_class: str, toward: str | None = None) -> str:
        """A fresh name for a street of ``street_class`` in ``commune`` (a rural road ``toward`` a
        neighbouring commune is named after it)."""
        used = self.used.setdefault(commune, set())
        if street_class == "rural":
            road = f"Route {of(toward)}" if toward else None
            if road and road not in used:
                used.add(road)
                return road
            k = self.rural_counter.get(commune, 0) + 1
            self.rural_counter[commune] = k
            return f"Chemin rural n° {k}"
        types = STREET_TYPES[street_class]
        for attempt in range(40):
            kind = types[weighted_pick(self.rng, types, 1)[0]][0]
            base = str(self.names[self.rng.integers(len(self.names))])
            joined = f"{kind} {base}"
            if attempt > 20:
                joined = f"{joined} {('prolongée', 'haute', 'basse', 'nord', 'sud')[attempt % 5]}"
            if joined not in used:
                used.add(joined)
                return joined
        k = len(used) + 1
        used.add(f"Voie nouvelle n° {k}")
        return f"Voie nouvelle n° {k}"
